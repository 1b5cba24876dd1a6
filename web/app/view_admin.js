// Tenant administration: the people (GET /users, PATCH /users/ID, admins only), the org tree
// (GET /units, POST /units, PATCH and DELETE /units/ID), the partnerships' acceptance policy
// (GET/PUT /sharing/policies) and the audit trail (GET /audit). People are created by the HR
// directory (SCIM), CSV import or samverkactl, never here.
import { api, apiUrl } from './api.js';
import { announce, h } from './dom.js';
import { timeElement } from './format.js';
import { confirmDelete, errorSummary, errorText, field } from './forms.js';
import { t } from './i18n.js';
import { isAdmin, roleNames } from './roles.js';
import { href, replace } from './router.js';
import { unitTree } from './view_editor.js';
import { forbidden } from './view_common.js';

// Rows rendered at once: a municipality may have 11,000 people; the filter finds the rest.
const maxRows = 200;
// Audit lines per page (the API allows up to 500).
const auditPage = 50;
// Sharing events shown on the partnerships page (the API gives the newest 200).
const maxSharingAudit = 50;

// API error codes of the administration endpoints with words of their own.
const adminCodes = new Set([
  'cannot_remove_own_admin', 'cannot_deactivate_self', 'unit_exists', 'unit_cycle', 'unit_has_people',
  'unit_has_subunits', 'unit_in_use', 'unknown_unit', 'unknown_role', 'name_required', 'deleted_in_directory',
]);

function adminError(e) {
  return adminCodes.has(e?.code) ? t(`apierror.${e.code}`) : errorText(e);
}

// An audit action code in words ("user.update" -> "Person ändrad"); unknown codes as they are.
export function auditAction(action) {
  const key = `audit.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

// A sharing audit action in words; an action this UI does not know yet is shown as it is.
function sharingAction(action) {
  const key = `admin.sharing_action_${action}`;
  const text = t(key);
  return text === key ? action : text;
}

export async function adminUsersView(ctx) {
  ctx.setTitle(t('admin.users_title'));
  if (!isAdmin(ctx.me)) {
    forbidden(ctx, t('admin.forbidden'));
    return;
  }
  const { items } = await api('GET', '/users');
  const people = items
    .map((u) => ({ ...u, haystack: `${u.name} ${u.email} ${(u.units ?? []).join(' ')}`.toLowerCase() }))
    .sort((a, b) => a.name.localeCompare(b.name, 'sv'));
  const tbody = h('tbody');
  const count = h('p', { class: 'muted', id: 'user-count', 'aria-live': 'polite' });
  const filter = h('input', { type: 'search', id: 'user-filter', autocomplete: 'off' });
  const cols = ['admin.col_name', 'admin.col_email', 'admin.col_roles', 'admin.col_units', 'admin.col_status',
    'admin.col_actions'];

  const row = (u) =>
    h('tr', {},
      h('th', { scope: 'row', 'data-label': t(cols[0]) }, u.name),
      h('td', { 'data-label': t(cols[1]) }, u.email),
      h('td', { 'data-label': t(cols[2]) }, (u.roles ?? []).map((r) => t(`role1.${r}`)).join(', ')),
      h('td', { 'data-label': t(cols[3]) }, (u.units ?? []).join(', ') || '–'),
      h('td', { 'data-label': t(cols[4]) },
        h('span', { class: u.active ? 'status status--ok' : 'status status--off' },
          t(u.active ? 'admin.active' : 'admin.inactive'))),
      h('td', { 'data-label': t(cols[5]) },
        h('a', { href: href(`/admin/users/${u.id}`), class: 'edit-link', id: `edit-user-${u.id}`,
          'aria-label': t('admin.edit_person', { name: u.name }) }, t('admin.edit'))));

  const show = () => {
    const q = filter.value.trim().toLowerCase();
    const matches = q ? people.filter((p) => p.haystack.includes(q)) : people;
    tbody.replaceChildren(...matches.slice(0, maxRows).map(row));
    if (!matches.length) count.textContent = t('admin.no_match');
    else if (matches.length > maxRows)
      count.textContent = t('admin.showing_capped', { shown: maxRows, total: matches.length });
    else count.textContent = t('admin.showing', { shown: matches.length, total: people.length });
  };
  filter.addEventListener('input', show);
  show();

  ctx.el.append(
    h('p', { class: 'muted' }, t('admin.users_intro', { tenant: ctx.me.tenant.name })),
    h('p', { class: 'notice', id: 'users-create-hint' }, t('admin.users_create_hint')),
    h('div', { class: 'field field--narrow' }, h('label', { for: 'user-filter' }, t('admin.filter')), filter),
    count,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data-table', 'aria-describedby': 'user-count' },
        h('caption', { class: 'visually-hidden' }, t('admin.users_title')),
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
        tbody)),
  );
}

// Units of the org tree as <option>s for a parent choice, indented by depth; `skip` (a unit id)
// leaves out that unit and its sub-units, where a move would make a cycle.
function parentOptions(tree, selectedId, skip) {
  const out = [h('option', { value: '', selected: selectedId == null }, t('admin.unit_top_level'))];
  let skipDepth = -1;
  for (const u of tree) {
    if (skipDepth >= 0 && u.depth > skipDepth) continue;
    skipDepth = -1;
    if (u.id === skip) {
      skipDepth = u.depth;
      continue;
    }
    out.push(h('option', { value: u.name, selected: u.id === selectedId }, `${'\u00a0\u00a0'.repeat(u.depth)}${u.name}`));
  }
  return out;
}

export async function adminUnitsView(ctx) {
  ctx.setTitle(t('admin.units_title'));
  if (!isAdmin(ctx.me)) {
    forbidden(ctx, t('admin.forbidden'));
    return;
  }
  const { items } = await api('GET', '/units');
  const tree = unitTree(items ?? []);
  // Nested lists mirror the org tree, so its structure is read out, not only indented.
  const byParent = new Map();
  for (const u of tree) {
    const key = u.parent_id ?? 0;
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(u);
  }
  const list = (parent) => {
    const kids = byParent.get(parent);
    if (!kids) return null;
    return h('ul', { class: parent === 0 ? 'unit-tree' : '' },
      kids.map((u) => h('li', {},
        h('span', { class: 'unit-tree__name' }, u.name), ' ',
        h('a', { href: href(`/admin/units/${u.id}`), class: 'edit-link', id: `edit-unit-${u.id}`,
          'aria-label': t('admin.edit_unit', { name: u.name }) }, t('admin.edit')),
        list(u.id))));
  };

  // New unit: a name and where in the tree it goes.
  const name = h('input', { id: 'unit-name', type: 'text', required: true, maxlength: '200', autocomplete: 'off' });
  const parent = h('select', { id: 'unit-parent' }, parentOptions(tree, null, null));
  const summary = errorSummary('admin.unit_problems');
  const form = h('form', { class: 'card', id: 'unit-create', 'aria-labelledby': 'unit-create-heading', novalidate: true },
    h('h2', { id: 'unit-create-heading' }, t('admin.unit_create')),
    summary.el,
    field(t('admin.unit_name'), name),
    field(t('admin.unit_parent'), parent, t('admin.unit_parent_hint')),
    h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button', id: 'unit-create-save' }, t('admin.unit_create_save'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) {
      summary.show([{ text: t('admin.unit_name_missing'), target: name }]);
      return;
    }
    try {
      const made = await api('POST', '/units', { name: name.value.trim(), parent: parent.value || null });
      ctx.app.flash(t('admin.unit_created', { name: made.name }));
      ctx.app.render();
    } catch (err) {
      summary.show([{ text: adminError(err), target: err?.code === 'unknown_unit' ? parent : name }]);
    }
  });

  ctx.el.append(
    h('p', { class: 'muted' }, t('admin.units_intro', { tenant: ctx.me.tenant.name })),
    h('section', { 'aria-labelledby': 'unit-tree-heading' },
      h('h2', { id: 'unit-tree-heading' }, t('admin.units_tree')),
      h('p', {}, t('admin.units_count', { n: tree.length })),
      tree.length ? h('div', { class: 'card', id: 'unit-tree' }, list(0)) : h('p', {}, t('admin.units_empty'))),
    form,
  );
}

// One unit: rename, move (a new parent, or the top level) and delete (only when empty).
export async function adminUnitView(ctx) {
  ctx.setTitle(t('admin.units_title'));
  if (!isAdmin(ctx.me)) {
    forbidden(ctx, t('admin.forbidden'));
    return;
  }
  const { items } = await api('GET', '/units');
  const tree = unitTree(items ?? []);
  const unit = tree.find((u) => String(u.id) === ctx.params.id);
  if (!unit) {
    ctx.setTitle(t('error.not_found_title'));
    ctx.el.append(h('p', {}, t('admin.unit_missing')),
      h('p', {}, h('a', { href: href('/admin/units') }, t('admin.back_units'))));
    return;
  }
  ctx.setTitle(t('admin.unit_edit_title', { name: unit.name }));
  const name = h('input', { id: 'unit-name', type: 'text', required: true, maxlength: '200', autocomplete: 'off', value: unit.name });
  const parent = h('select', { id: 'unit-parent' }, parentOptions(tree, unit.parent_id ?? null, unit.id));
  const summary = errorSummary('admin.unit_problems');
  const form = h('form', { class: 'card', id: 'unit-edit', 'aria-labelledby': 'unit-edit-heading', novalidate: true },
    h('h2', { id: 'unit-edit-heading' }, t('admin.unit_rename_move')),
    summary.el,
    field(t('admin.unit_name'), name, t('admin.unit_rename_hint')),
    field(t('admin.unit_parent'), parent),
    h('div', { class: 'button-row' },
      h('button', { type: 'submit', class: 'button', id: 'unit-save' }, t('admin.save')),
      h('a', { href: href('/admin/units'), class: 'button button--secondary' }, t('news.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) {
      summary.show([{ text: t('admin.unit_name_missing'), target: name }]);
      return;
    }
    try {
      await api('PATCH', `/units/${unit.id}`, { name: name.value.trim(), parent: parent.value || null });
      ctx.app.flash(t('admin.unit_saved', { name: name.value.trim() }));
      ctx.app.navigate('/admin/units');
    } catch (err) {
      summary.show([{ text: adminError(err), target: err?.code === 'unit_cycle' || err?.code === 'unknown_unit' ? parent : name }]);
    }
  });
  const del = confirmDelete({
    id: 'unit-delete',
    label: t('admin.unit_delete'),
    question: t('admin.unit_delete_question', { name: unit.name }),
    yesLabel: t('admin.unit_delete_yes'),
    onYes: async () => {
      try {
        await api('DELETE', `/units/${unit.id}`);
      } catch (err) {
        throw new Error(adminError(err));
      }
      ctx.app.flash(t('admin.unit_deleted', { name: unit.name }));
      ctx.app.navigate('/admin/units');
    },
  });
  ctx.el.append(
    h('p', {}, h('a', { href: href('/admin/units') }, t('admin.back_units'))),
    form,
    h('section', { class: 'card', 'aria-labelledby': 'unit-delete-heading' },
      h('h2', { id: 'unit-delete-heading' }, t('admin.unit_delete')),
      h('p', { class: 'muted' }, t('admin.unit_delete_hint')),
      del.button, del.box),
  );
}

// One person: roles, units, job title, name and whether they may sign in. Creating people and
// passwords stay with the HR directory, CSV import and samverkactl.
export async function adminUserView(ctx) {
  ctx.setTitle(t('admin.users_title'));
  if (!isAdmin(ctx.me)) {
    forbidden(ctx, t('admin.forbidden'));
    return;
  }
  let person;
  try {
    person = await api('GET', `/users/${encodeURIComponent(ctx.params.id)}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    ctx.setTitle(t('error.not_found_title'));
    ctx.el.append(h('p', {}, t('admin.person_missing')),
      h('p', {}, h('a', { href: href('/admin/users') }, t('admin.back_users'))));
    return;
  }
  const unitsResp = await api('GET', '/units');
  const tree = unitTree(unitsResp.items ?? []);
  const self = person.id === ctx.me.user.id;
  ctx.setTitle(person.name);

  const name = h('input', { id: 'person-name', type: 'text', required: true, maxlength: '200', autocomplete: 'off', value: person.name });
  const title = h('input', { id: 'person-title', type: 'text', maxlength: '200', autocomplete: 'off', value: person.title ?? '' });

  const roleBoxes = roleNames.map((r) => {
    const id = `role-${r}`;
    const fixed = r === 'employee' || (r === 'admin' && self);
    const box = h('input', { type: 'checkbox', id, value: r, checked: r === 'employee' || person.roles.includes(r),
      disabled: fixed, 'aria-describedby': fixed ? `${id}-hint` : null });
    return h('li', { class: 'check' }, box, h('label', { for: id }, t(`role1.${r}`)),
      fixed ? h('span', { class: 'field__hint', id: `${id}-hint` }, t(r === 'employee' ? 'admin.role_always' : 'admin.role_own_admin')) : null);
  });

  const have = new Set(person.units ?? []);
  const unitFilter = h('input', { type: 'search', id: 'person-unit-filter', autocomplete: 'off' });
  const unitItems = tree.map((u) => {
    const id = `unit-${u.id}`;
    return h('li', { class: `check depth-${Math.min(u.depth, 4)}`, 'data-name': u.name.toLowerCase() },
      h('input', { type: 'checkbox', id, value: u.name, checked: have.has(u.name) }),
      h('label', { for: id }, u.name));
  });
  unitFilter.addEventListener('input', () => {
    const q = unitFilter.value.trim().toLowerCase();
    for (const li of unitItems) li.hidden = Boolean(q) && !li.dataset.name.includes(q);
  });

  const active = h('input', { type: 'checkbox', id: 'person-active', checked: person.active, disabled: self,
    'aria-describedby': 'person-active-hint' });
  const summary = errorSummary('admin.person_problems');
  const form = h('form', { class: 'card', id: 'person-form', 'aria-labelledby': 'person-form-heading', novalidate: true },
    h('h2', { id: 'person-form-heading' }, t('admin.person_edit')),
    summary.el,
    field(t('admin.person_name'), name, t('admin.person_name_hint')),
    field(t('admin.person_title'), title),
    h('fieldset', { class: 'audience', id: 'person-roles' },
      h('legend', {}, t('admin.col_roles')),
      h('ul', { class: 'check-list' }, roleBoxes)),
    h('fieldset', { class: 'audience', id: 'person-units' },
      h('legend', {}, t('admin.col_units')),
      h('p', { class: 'field__hint', id: 'person-units-hint' }, t('admin.person_units_hint')),
      tree.length > 8 ? h('div', { class: 'field' }, h('label', { for: 'person-unit-filter' }, t('admin.unit_filter')), unitFilter) : null,
      tree.length ? h('ul', { class: 'check-list unit-list', id: 'person-unit-list', 'aria-describedby': 'person-units-hint' }, unitItems)
        : h('p', {}, t('admin.units_empty'))),
    h('fieldset', { class: 'audience' },
      h('legend', {}, t('admin.person_access')),
      h('div', { class: 'check' }, active, h('label', { for: 'person-active' }, t('admin.person_active'))),
      h('p', { class: 'field__hint', id: 'person-active-hint' }, t(self ? 'admin.person_active_self' : 'admin.person_active_hint'))),
    h('div', { class: 'button-row' },
      h('button', { type: 'submit', class: 'button', id: 'person-save' }, t('admin.save')),
      h('a', { href: href('/admin/users'), class: 'button button--secondary' }, t('news.cancel'))));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) {
      summary.show([{ text: t('admin.person_name_missing'), target: name }]);
      return;
    }
    const roles = roleBoxes.map((li) => li.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
    const units = unitItems.map((li) => li.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
    const body = { name: name.value.trim(), title: title.value.trim(), roles, units };
    if (!self) body.active = active.checked;
    try {
      const saved = await api('PATCH', `/users/${person.id}`, body);
      ctx.app.flash(t('admin.person_saved', { name: saved.name }));
      ctx.app.navigate('/admin/users');
    } catch (err) {
      summary.show([{ text: adminError(err) }]);
    }
  });

  ctx.el.append(
    h('p', {}, h('a', { href: href('/admin/users') }, t('admin.back_users'))),
    h('dl', { class: 'page-facts' },
      h('div', {}, h('dt', {}, t('admin.col_email')), h('dd', {}, person.email)),
      h('div', {}, h('dt', {}, t('admin.col_status')), h('dd', {}, t(person.active ? 'admin.active' : 'admin.inactive')))),
    h('p', { class: 'muted' }, t('admin.person_directory_hint')),
    form,
  );
}

// The administration hub: one entry in the main menu leads to every admin screen.
export async function adminHomeView(ctx) {
  ctx.setTitle(t('admin.title'));
  if (!isAdmin(ctx.me)) {
    forbidden(ctx, t('admin.forbidden'));
    return;
  }
  const entries = [
    ['/admin/users', 'admin.users_title', 'admin.users_desc'],
    ['/admin/units', 'admin.units_title', 'admin.units_desc'],
    ['/admin/partners', 'admin.partners_title', 'admin.partners_desc'],
    ['/admin/audit', 'admin.audit_title', 'admin.audit_desc'],
    ['/pages/review?scope=all', 'pages.review_title', 'admin.review_desc'],
  ];
  ctx.el.append(
    h('p', { class: 'lead' }, t('admin.intro', { tenant: ctx.me.tenant.name })),
    h('ul', { class: 'hub-list' }, entries.map(([path, title, desc]) => h('li', { class: 'card' },
      h('h2', {}, h('a', { href: href(path) }, t(title))),
      h('p', { class: 'muted' }, t(desc))))),
  );
}

// Partnerships: how offers from each partner municipality are taken (manual: an editor decides
// in the inbox; automatic: published at once), and the sharing audit trail.
export async function adminPartnersView(ctx) {
  ctx.setTitle(t('admin.partners_title'));
  if (!isAdmin(ctx.me)) {
    forbidden(ctx, t('admin.forbidden'));
    return;
  }
  const [policies, audit] = await Promise.all([
    api('GET', '/sharing/policies'),
    api('GET', '/sharing/audit').catch(() => ({ items: [] })),
  ]);
  const items = policies.items ?? [];
  const rows = items.map((p) => {
    const slug = p.partner.slug;
    const status = h('span', { class: 'policy-status', id: `policy-status-${slug}`, role: 'status' });
    const radios = ['manual', 'automatic'].map((value) => {
      const id = `policy-${slug}-${value}`;
      const input = h('input', { type: 'radio', name: `policy-${slug}`, id, value, checked: p.policy === value });
      input.addEventListener('change', async () => {
        if (!input.checked) return;
        status.textContent = t('admin.policy_saving');
        try {
          await api('PUT', `/sharing/policies/${encodeURIComponent(slug)}`, { policy: value });
          p.policy = value;
          status.textContent = t('admin.policy_saved', { name: p.partner.name });
        } catch (e) {
          document.getElementById(`policy-${slug}-${p.policy}`).checked = true;
          status.textContent = errorText(e);
        }
      });
      return h('li', { class: 'check' }, input, h('label', { for: id }, t(`admin.policy_${value}`)));
    });
    return h('li', { class: 'card policy-item' },
      h('fieldset', {},
        h('legend', {}, p.partner.name),
        h('ul', { class: 'check-list' }, radios)),
      status);
  });
  const auditItems = (audit.items ?? []).slice(0, maxSharingAudit);
  const partnerName = new Map(items.map((p) => [p.partner.slug, p.partner.name]));
  const cols = ['admin.col_time', 'admin.col_actor', 'admin.col_action', 'admin.col_partner', 'admin.col_detail'];
  ctx.el.append(
    h('p', { class: 'lead' }, t('admin.partners_intro')),
    h('section', { 'aria-labelledby': 'policies-heading' },
      h('h2', { id: 'policies-heading' }, t('admin.policies')),
      h('p', { class: 'muted' }, t('admin.policies_hint')),
      rows.length ? h('ul', { class: 'policy-list', id: 'policy-list' }, rows) : h('p', {}, t('sharing.no_partners'))),
    h('section', { 'aria-labelledby': 'sharing-audit-heading' },
      h('h2', { id: 'sharing-audit-heading' }, t('admin.sharing_audit')),
      auditItems.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', id: 'sharing-audit' },
            h('caption', { class: 'visually-hidden' }, t('admin.sharing_audit')),
            h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
            h('tbody', {}, auditItems.map((e) => h('tr', {},
              h('td', { 'data-label': t(cols[0]) }, timeElement(e.at)),
              h('td', { 'data-label': t(cols[1]) }, e.actor || '–'),
              h('td', { 'data-label': t(cols[2]) }, sharingAction(e.action)),
              h('td', { 'data-label': t(cols[3]) }, partnerName.get(e.partner) ?? (e.partner || '–')),
              h('td', { 'data-label': t(cols[4]) }, e.detail || '–'))))))
        : h('p', { class: 'muted' }, t('admin.audit_empty'))),
  );
}

// The audit trail: who changed what, newest first, filtered by action, item type, actor and time,
// paged; the same filters export the trail as CSV or JSON lines.
export async function adminAuditView(ctx) {
  ctx.setTitle(t('admin.audit_title'));
  if (!isAdmin(ctx.me)) {
    forbidden(ctx, t('admin.forbidden'));
    return;
  }
  const q = ctx.query;
  const action = h('input', { id: 'audit-action', type: 'text', value: q.get('action') ?? '', autocomplete: 'off', spellcheck: 'false' });
  const itemType = h('select', { id: 'audit-type' },
    ['', 'news', 'page', 'guide', 'document', 'link', 'user', 'unit'].map((v) =>
      h('option', { value: v, selected: (q.get('item_type') ?? '') === v }, v ? t(`admin.type_${v}`) : t('admin.type_all'))));
  const actor = h('input', { id: 'audit-actor', type: 'email', value: q.get('actor') ?? '', autocomplete: 'off', spellcheck: 'false' });
  const since = h('input', { id: 'audit-since', type: 'date', value: q.get('since') ?? '' });
  const until = h('input', { id: 'audit-until', type: 'date', value: q.get('until') ?? '' });
  const filters = () => {
    const p = new URLSearchParams();
    if (action.value.trim()) p.set('action', action.value.trim());
    if (itemType.value) p.set('item_type', itemType.value);
    if (actor.value.trim()) p.set('actor', actor.value.trim());
    // Whole days in the person's time zone.
    if (since.value) p.set('since', new Date(`${since.value}T00:00:00`).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    if (until.value) p.set('until', new Date(`${until.value}T23:59:59`).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    return p;
  };
  const tbody = h('tbody');
  const status = h('p', { class: 'muted', id: 'audit-status' });
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', class: 'button button--secondary', id: 'audit-more', hidden: true }, t('admin.audit_more'));
  const csv = h('a', { class: 'button button--secondary', id: 'export-csv', download: 'audit.csv' }, t('admin.export_csv'));
  const jsonl = h('a', { class: 'button button--secondary', id: 'export-jsonl', download: 'audit.jsonl' }, t('admin.export_jsonl'));
  const cols = ['admin.col_time', 'admin.col_actor', 'admin.col_action', 'admin.col_item', 'admin.col_detail'];
  let cursor = null;
  let shown = 0;
  async function load(reset) {
    const p = filters();
    if (reset) {
      cursor = null;
      shown = 0;
      tbody.replaceChildren();
      const plain = new URLSearchParams(p);
      csv.href = apiUrl(`/audit?${new URLSearchParams([...plain, ['format', 'csv']])}`);
      jsonl.href = apiUrl(`/audit?${new URLSearchParams([...plain, ['format', 'jsonl']])}`);
    }
    if (cursor) p.set('cursor', cursor);
    p.set('limit', String(auditPage));
    let page;
    try {
      page = await api('GET', `/audit?${p}`);
      problem.hidden = true;
    } catch (e) {
      if (e.status !== 400) throw e;
      problem.textContent = t('admin.audit_bad_filter');
      problem.hidden = false;
      return;
    }
    for (const e of page.items ?? []) {
      tbody.append(h('tr', {},
        h('td', { 'data-label': t(cols[0]) }, timeElement(e.at)),
        h('td', { 'data-label': t(cols[1]) }, e.actor?.email || '–'),
        h('td', { 'data-label': t(cols[2]) }, auditAction(e.action), ' ', h('code', { class: 'audit-code' }, e.action)),
        h('td', { 'data-label': t(cols[3]) }, e.item?.type ? `${t(`admin.type_${e.item.type}`)} ${e.item.id}` : '–'),
        h('td', { 'data-label': t(cols[4]) }, e.detail || '–')));
      shown += 1;
    }
    cursor = page.next_cursor ?? null;
    more.hidden = !cursor;
    status.textContent = shown ? t('admin.audit_count', { n: shown }) : t('admin.audit_empty');
  }
  more.addEventListener('click', () => load(false));
  const form = h('form', { class: 'card audit-filters', 'aria-labelledby': 'audit-filter-heading' },
    h('h2', { id: 'audit-filter-heading' }, t('admin.audit_filters')),
    h('div', { class: 'filter-grid' },
      h('div', { class: 'field' }, h('label', { for: 'audit-action' }, t('admin.filter_action')),
        h('p', { class: 'field__hint', id: 'audit-action-hint' }, t('admin.filter_action_hint')), action),
      h('div', { class: 'field' }, h('label', { for: 'audit-type' }, t('admin.filter_type')), itemType),
      h('div', { class: 'field' }, h('label', { for: 'audit-actor' }, t('admin.filter_actor')), actor),
      h('div', { class: 'field' }, h('label', { for: 'audit-since' }, t('admin.filter_since')), since),
      h('div', { class: 'field' }, h('label', { for: 'audit-until' }, t('admin.filter_until')), until)),
    h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button', id: 'audit-apply' }, t('admin.filter_apply'))));
  action.setAttribute('aria-describedby', 'audit-action-hint');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const keep = new URLSearchParams();
    for (const [k, v] of [['action', action.value.trim()], ['item_type', itemType.value], ['actor', actor.value.trim()], ['since', since.value], ['until', until.value]])
      if (v) keep.set(k, v);
    replace(`/admin/audit${keep.size ? `?${keep}` : ''}`);
    await load(true);
    announce(status.textContent);
  });
  await load(true);
  ctx.el.append(
    h('p', { class: 'lead' }, t('admin.audit_intro')),
    form,
    h('div', { class: 'section-head' },
      h('h2', { id: 'audit-heading' }, t('admin.audit_entries')),
      h('div', { class: 'button-row' }, csv, jsonl)),
    status,
    problem,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data-table', id: 'audit-table', 'aria-labelledby': 'audit-heading' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
        tbody)),
    more,
  );
}
