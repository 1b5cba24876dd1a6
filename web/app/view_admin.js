// Tenant administration: the people (GET /users, admins only) and the org tree (GET /units).
import { api } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { isAdmin } from './roles.js';
import { unitTree } from './view_editor.js';
import { forbidden } from './view_common.js';

// Rows rendered at once: a municipality may have 11,000 people; the filter finds the rest.
const maxRows = 200;

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
  const cols = ['admin.col_name', 'admin.col_email', 'admin.col_roles', 'admin.col_units', 'admin.col_status'];

  const row = (u) =>
    h('tr', {},
      h('th', { scope: 'row', 'data-label': t(cols[0]) }, u.name),
      h('td', { 'data-label': t(cols[1]) }, u.email),
      h('td', { 'data-label': t(cols[2]) }, (u.roles ?? []).map((r) => t(`role1.${r}`)).join(', ')),
      h('td', { 'data-label': t(cols[3]) }, (u.units ?? []).join(', ') || '–'),
      h('td', { 'data-label': t(cols[4]) },
        h('span', { class: u.active ? 'status status--ok' : 'status status--off' },
          t(u.active ? 'admin.active' : 'admin.inactive'))));

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
    h('div', { class: 'field field--narrow' }, h('label', { for: 'user-filter' }, t('admin.filter')), filter),
    count,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'data-table', 'aria-describedby': 'user-count' },
        h('caption', { class: 'visually-hidden' }, t('admin.users_title')),
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
        tbody)),
  );
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
      kids.map((u) => h('li', {}, h('span', { class: 'unit-tree__name' }, u.name), list(u.id))));
  };
  ctx.el.append(
    h('p', { class: 'muted' }, t('admin.units_intro', { tenant: ctx.me.tenant.name })),
    h('p', {}, t('admin.units_count', { n: tree.length })),
    tree.length ? h('div', { class: 'card' }, list(0)) : h('p', {}, t('admin.units_empty')),
  );
}
