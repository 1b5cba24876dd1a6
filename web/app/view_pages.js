// Pages (sidor): the tree of the municipality's pages, one page with its owner (sidansvarig),
// review date and version history, and for editors creating, editing, approving, marking as
// reviewed and deleting pages, plus the list of pages due for review. Bodies use the same plain
// text format as news (body_text.js); the server sanitises the HTML.
import { api } from './api.js';
import { fill, h } from './dom.js';
import { htmlToText, textToHtml } from './body_text.js';
import { dateElement, timeElement } from './format.js';
import {
  confirmDelete, errorSummary, errorText, field, fromLocalInput, toLocalInput,
} from './forms.js';
import { formatDate, t } from './i18n.js';
import { isAdmin, isEditor } from './roles.js';
import { href } from './router.js';
import { forbidden } from './view_common.js';
import { bodyFragment } from './view_groups.js';

// The review interval a new page gets unless the editor chooses (the API's default).
const defaultReviewDays = 365;
// The API's bounds for review_interval_days.
const maxReviewDays = 1095;

// Pages in tree order with their depth; children sorted by title.
function pageTree(pages) {
  const ids = new Set(pages.map((p) => p.id));
  const children = new Map();
  for (const p of pages) {
    // A page whose parent the caller cannot see is shown at the top rather than lost.
    const key = p.parent_id && ids.has(p.parent_id) ? p.parent_id : 0;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(p);
  }
  for (const list of children.values()) list.sort((a, b) => a.title.localeCompare(b.title, 'sv'));
  return children;
}

function canEdit(me, page) {
  return isEditor(me) || page.owner?.id === me.user.id;
}

function canApprove(me, page) {
  return isAdmin(me) || page.owner?.id === me.user.id;
}

// Words for a page's state, shown beside its title (never colour alone).
function stateTags(p) {
  const now = Date.now();
  const tags = [];
  if (!p.live) tags.push(h('li', { class: 'status status--pending' }, t('pages.draft')));
  else if (p.publish_at && Date.parse(p.publish_at) > now)
    tags.push(h('li', { class: 'status status--pending' }, t('pages.scheduled', { date: formatDate(p.publish_at) })));
  else if (p.unpublish_at && Date.parse(p.unpublish_at) <= now)
    tags.push(h('li', { class: 'status status--declined' }, t('pages.unpublished')));
  if (p.pending_approval) tags.push(h('li', { class: 'status status--pending' }, t('pages.pending')));
  if (p.overdue) tags.push(h('li', { class: 'status status--declined' }, t('pages.overdue')));
  return tags.length ? h('ul', { class: 'tags tags--inline' }, tags) : null;
}

export async function pagesView(ctx) {
  ctx.setTitle(t('pages.title'));
  const { items } = await api('GET', '/pages');
  const children = pageTree(items ?? []);
  const list = (parent) => {
    const kids = children.get(parent);
    if (!kids) return null;
    return h('ul', { class: parent === 0 ? 'page-tree' : '' },
      kids.map((p) => h('li', {},
        h('span', { class: 'page-tree__row' },
          h('a', { href: href(`/pages/${p.id}`) }, p.title), stateTags(p)),
        list(p.id))));
  };
  const editor = isEditor(ctx.me);
  fill(ctx.el,
    h('p', { class: 'lead' }, t('pages.intro', { tenant: ctx.me.tenant.name })),
    editor
      ? h('div', { class: 'button-row' },
          h('a', { class: 'button', href: href('/pages/new'), id: 'new-page' }, t('pages.new')),
          h('a', { class: 'button button--secondary', href: href('/pages/review') }, t('pages.review_title')))
      : null,
    items?.length
      ? h('nav', { class: 'card', 'aria-label': t('pages.tree_label') }, list(0))
      : h('p', { class: 'muted' }, t('pages.empty')));
}

async function loadPage(ctx) {
  const id = ctx.params.id;
  try {
    if (!/^\d+$/.test(id)) throw Object.assign(new Error('not found'), { status: 404 });
    return await api('GET', `/pages/${id}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    ctx.setTitle(t('pages.not_found_title'));
    fill(ctx.el, h('p', {}, t('pages.not_found')), h('p', {}, h('a', { href: href('/pages') }, t('pages.back'))));
    return null;
  }
}

function versionsTable(versions) {
  const cols = ['pages.col_version', 'pages.col_title', 'pages.col_editor', 'pages.col_time', 'pages.col_state'];
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'data-table', id: 'page-versions' },
      h('caption', { class: 'visually-hidden' }, t('pages.versions')),
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
      h('tbody', {}, versions.map((v) => h('tr', {},
        h('td', { 'data-label': t(cols[0]) }, String(v.version)),
        h('td', { 'data-label': t(cols[1]) }, v.title),
        h('td', { 'data-label': t(cols[2]) }, v.editor?.name ?? ''),
        h('td', { 'data-label': t(cols[3]) }, timeElement(v.created_at)),
        h('td', { 'data-label': t(cols[4]) },
          h('span', { class: `status status--${v.state === 'live' ? 'accepted' : v.state}` }, t(`pages.state_${v.state}`))))))));
}

export async function pageView(ctx) {
  const page = await loadPage(ctx);
  if (!page) return;
  ctx.setTitle(page.title);
  const [all, versions] = await Promise.all([
    api('GET', '/pages').then((r) => r.items ?? []).catch(() => []),
    api('GET', `/pages/${page.id}/versions`).then((r) => r.items ?? []).catch(() => null),
  ]);
  const byId = new Map(all.map((p) => [p.id, p]));
  const trail = [];
  for (let p = byId.get(page.parent_id); p && trail.length < 20; p = byId.get(p.parent_id)) trail.unshift(p);
  const subpages = all.filter((p) => p.parent_id === page.id).sort((a, b) => a.title.localeCompare(b.title, 'sv'));
  const overdue = Date.parse(page.review_at) < Date.now();
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });

  let actions = null;
  if (canEdit(ctx.me, page)) {
    const buttons = [
      h('a', { class: 'button', href: href(`/pages/${page.id}/edit`), id: 'edit-page' }, t('pages.edit')),
      h('a', { class: 'button button--secondary', href: href(`/pages/new?parent=${page.id}`) }, t('pages.new_child')),
    ];
    const reviewed = h('button', { type: 'button', class: 'button button--secondary', id: 'mark-reviewed' }, t('pages.mark_reviewed'));
    reviewed.addEventListener('click', async () => {
      reviewed.disabled = true;
      try {
        await api('PATCH', `/pages/${page.id}`, {});
        ctx.app.flash(t('pages.reviewed'));
        await ctx.app.render();
      } catch (e) {
        reviewed.disabled = false;
        problem.textContent = errorText(e);
        problem.hidden = false;
      }
    });
    buttons.push(reviewed);
    if (page.pending_approval && canApprove(ctx.me, page)) {
      const approve = h('button', { type: 'button', class: 'button', id: 'approve-page' }, t('pages.approve'));
      approve.addEventListener('click', async () => {
        approve.disabled = true;
        try {
          await api('POST', `/pages/${page.id}/approve`);
          ctx.app.flash(t('pages.approved'));
          await ctx.app.render();
        } catch (e) {
          approve.disabled = false;
          problem.textContent = errorText(e);
          problem.hidden = false;
        }
      });
      buttons.unshift(approve);
    }
    const del = confirmDelete({
      id: 'delete-page',
      label: t('pages.delete'),
      question: t('pages.delete_confirm', { title: page.title }),
      yesLabel: t('pages.delete_yes'),
      onYes: async () => {
        await api('DELETE', `/pages/${page.id}`);
        ctx.app.flash(t('pages.deleted'));
        ctx.app.navigate('/pages');
      },
    });
    buttons.push(del.button);
    actions = h('section', { class: 'editor-actions', 'aria-labelledby': 'page-actions-heading' },
      h('h2', { id: 'page-actions-heading', class: 'visually-hidden' }, t('pages.actions')),
      page.pending_approval ? h('p', { class: 'notice notice--warning' }, t('pages.pending_notice')) : null,
      h('div', { class: 'button-row' }, buttons), del.box, problem);
  }

  fill(ctx.el,
    h('nav', { class: 'breadcrumbs', 'aria-label': t('pages.breadcrumbs') },
      h('ol', {},
        h('li', {}, h('a', { href: href('/pages') }, t('pages.title'))),
        trail.map((p) => h('li', {}, h('a', { href: href(`/pages/${p.id}`) }, p.title))))),
    h('article', { class: 'article', 'aria-labelledby': 'page-title' },
      h('dl', { class: 'page-facts', id: 'page-facts' },
        h('div', {}, h('dt', {}, t('pages.owner')), h('dd', {}, page.owner?.name ?? '')),
        h('div', {}, h('dt', {}, t('pages.review_at')),
          h('dd', {}, dateElement(page.review_at),
            overdue ? h('span', { class: 'status status--declined' }, t('pages.overdue')) : null)),
        h('div', {}, h('dt', {}, t('pages.updated')), h('dd', {}, timeElement(page.updated_at))),
        h('div', {}, h('dt', {}, t('pages.version')), h('dd', {}, String(page.version)))),
      stateTags({ ...page, overdue: false, pending_approval: false }),
      h('div', { class: 'prose' }, bodyFragment(page.body ?? ''))),
    subpages.length
      ? h('section', { class: 'subpages', 'aria-labelledby': 'subpages-heading' },
          h('h2', { id: 'subpages-heading' }, t('pages.subpages')),
          h('ul', { class: 'shortcut-list' }, subpages.map((p) => h('li', {}, h('a', { href: href(`/pages/${p.id}`) }, p.title)))))
      : null,
    actions,
    versions?.length
      ? h('section', { class: 'versions', 'aria-labelledby': 'versions-heading' },
          h('h2', { id: 'versions-heading' }, t('pages.versions')), versionsTable(versions))
      : null);
}

// The create and edit form (editors; the owner may edit their own page).
export async function pageEditorView(ctx) {
  const editing = ctx.params.id !== undefined;
  ctx.setTitle(t(editing ? 'pages.title_edit' : 'pages.title_new'));
  let existing = null;
  if (editing) {
    existing = await loadPage(ctx);
    if (!existing) return;
    if (!canEdit(ctx.me, existing)) {
      forbidden(ctx, t('pages.forbidden'));
      return;
    }
  } else if (!isEditor(ctx.me)) {
    forbidden(ctx, t('pages.forbidden'));
    return;
  }
  const all = (await api('GET', '/pages')).items ?? [];
  // A page cannot move under itself or one of its own sub-pages.
  const excluded = new Set();
  if (existing) {
    excluded.add(existing.id);
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of all) if (p.parent_id && excluded.has(p.parent_id) && !excluded.has(p.id)) {
        excluded.add(p.id);
        grew = true;
      }
    }
  }
  const children = pageTree(all.filter((p) => !excluded.has(p.id)));
  const options = [];
  const walk = (parent, depth) => {
    for (const p of children.get(parent) ?? []) {
      options.push({ id: p.id, label: `${'– '.repeat(depth)}${p.title}` });
      walk(p.id, depth + 1);
    }
  };
  walk(0, 0);
  const wantedParent = editing ? existing.parent_id : Number(ctx.query.get('parent')) || null;

  const original = existing ? htmlToText(existing.body ?? '') : { text: '', lossy: false };
  const title = h('input', { id: 'page-title-input', type: 'text', required: true, maxlength: '300', value: existing?.title ?? '' });
  const body = h('textarea', { id: 'page-body', rows: '12', required: true });
  body.value = original.text;
  const parent = h('select', { id: 'page-parent' },
    h('option', { value: '' }, t('pages.parent_none')),
    options.map((o) => h('option', { value: String(o.id), selected: o.id === wantedParent }, o.label)));
  const owner = h('input', { id: 'page-owner', type: 'email', autocomplete: 'off', spellcheck: 'false',
    placeholder: existing ? '' : ctx.me.user.email });
  const days = h('input', { id: 'page-review-days', type: 'number', min: '1', max: String(maxReviewDays), inputmode: 'numeric',
    value: String(existing?.review_interval_days ?? defaultReviewDays) });
  const approval = h('input', { type: 'checkbox', id: 'page-approval', checked: existing?.requires_approval });
  const publishAt = h('input', { id: 'page-publish-at', type: 'datetime-local', value: toLocalInput(existing?.publish_at) });
  const unpublishAt = h('input', { id: 'page-unpublish-at', type: 'datetime-local', value: toLocalInput(existing?.unpublish_at) });
  const errors = errorSummary('pages.error_title');
  const submit = h('button', { type: 'submit', class: 'button', id: 'save-page' }, t(editing ? 'pages.save' : 'pages.create'));

  const form = h('form', { class: 'editor-form', novalidate: true },
    errors.el,
    field(t('pages.field_title'), title),
    field(t('pages.field_body'), body, t('editor.body_hint')),
    original.lossy ? h('p', { class: 'notice notice--warning' }, t('editor.body_lossy')) : null,
    field(t('pages.field_parent'), parent),
    h('fieldset', { class: 'audience' },
      h('legend', {}, t('pages.ownership')),
      field(t('pages.field_owner'), owner,
        existing ? t('pages.owner_hint_edit', { name: existing.owner?.name ?? '' }) : t('pages.owner_hint')),
      field(t('pages.field_review_days'), days, t('pages.review_days_hint')),
      h('p', { class: 'check' }, approval, h('label', { for: 'page-approval' }, t('pages.field_approval')))),
    h('fieldset', { class: 'audience' },
      h('legend', {}, t('pages.schedule')),
      h('p', { class: 'field__hint' }, t('pages.schedule_hint')),
      field(t('pages.field_publish_at'), publishAt),
      field(t('pages.field_unpublish_at'), unpublishAt)),
    h('div', { class: 'button-row' }, submit,
      h('a', { class: 'button button--secondary', href: href(editing ? `/pages/${existing.id}` : '/pages') }, t('editor.cancel'))));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problems = [];
    if (!title.value.trim()) problems.push({ text: t('pages.title_required'), target: title });
    if (!body.value.trim()) problems.push({ text: t('pages.body_required'), target: body });
    const n = Number(days.value);
    if (!Number.isInteger(n) || n < 1 || n > maxReviewDays) problems.push({ text: t('pages.days_invalid', { max: maxReviewDays }), target: days });
    if (problems.length) {
      errors.show(problems);
      return;
    }
    const payload = { title: title.value.trim(), review_interval_days: n, requires_approval: approval.checked };
    if (!editing || body.value !== original.text) payload.body = textToHtml(body.value);
    if (owner.value.trim()) payload.owner_email = owner.value.trim();
    const parentId = Number(parent.value) || 0;
    if (editing) {
      if ((existing.parent_id ?? 0) !== parentId) payload.parent_id = parentId;
    } else if (parentId) {
      payload.parent_id = parentId;
    }
    const from = fromLocalInput(publishAt.value);
    const to = fromLocalInput(unpublishAt.value);
    if (editing) {
      // Only a changed time is sent; an emptied field sends "" (the API clears it).
      if (publishAt.value !== toLocalInput(existing.publish_at)) payload.publish_at = from;
      if (unpublishAt.value !== toLocalInput(existing.unpublish_at)) payload.unpublish_at = to;
    } else {
      if (from) payload.publish_at = from;
      if (to) payload.unpublish_at = to;
    }
    submit.disabled = true;
    try {
      const saved = editing ? await api('PATCH', `/pages/${existing.id}`, payload) : await api('POST', '/pages', payload);
      ctx.app.flash(t(saved.pending_approval && editing ? 'pages.saved_pending' : editing ? 'pages.saved' : 'pages.created'));
      ctx.app.navigate(`/pages/${saved.id}`);
    } catch (err) {
      submit.disabled = false;
      const code = `${err.code} ${err.message}`;
      const target = /owner/.test(code) ? owner : /title/.test(code) ? title : /body/.test(code) ? body
        : /schedule|publish/.test(code) ? publishAt : /parent|cycle/.test(code) ? parent : null;
      errors.show([{ text: errorText(err), target }]);
    }
  });
  fill(ctx.el, h('p', { class: 'muted' }, t('pages.editor_intro')), form);
}

// Pages due for review within 30 days or overdue: the caller's own, or every page (admins).
export async function pagesReviewView(ctx) {
  ctx.setTitle(t('pages.review_title'));
  const admin = isAdmin(ctx.me);
  const scope = admin && ctx.query.get('scope') === 'all' ? 'all' : 'mine';
  const { items } = await api('GET', `/pages/review?scope=${scope}`);
  const rows = (items ?? []).sort((a, b) => Date.parse(a.review_at) - Date.parse(b.review_at));
  const cols = ['pages.col_title', 'pages.owner', 'pages.review_at', 'pages.col_state'];
  const scopes = admin
    ? h('fieldset', { class: 'segmented' },
        h('legend', { class: 'visually-hidden' }, t('pages.review_scope')),
        ['mine', 'all'].map((value) => h('span', { class: 'segmented__item' },
          h('input', { type: 'radio', name: 'review-scope', id: `review-${value}`, value, checked: scope === value,
            onchange: () => ctx.app.navigate(value === 'all' ? '/pages/review?scope=all' : '/pages/review') }),
          h('label', { for: `review-${value}` }, t(`pages.review_${value}`)))))
    : null;
  fill(ctx.el,
    h('p', { class: 'lead' }, t('pages.review_intro')),
    scopes,
    rows.length
      ? h('div', { class: 'table-wrap' },
          h('table', { class: 'data-table', id: 'review-table' },
            h('caption', { class: 'visually-hidden' }, t('pages.review_title')),
            h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
            h('tbody', {}, rows.map((p) => h('tr', {},
              h('th', { scope: 'row', 'data-label': t(cols[0]) }, h('a', { href: href(`/pages/${p.id}`) }, p.title)),
              h('td', { 'data-label': t(cols[1]) }, p.owner?.name ?? ''),
              h('td', { 'data-label': t(cols[2]) }, dateElement(p.review_at)),
              h('td', { 'data-label': t(cols[3]) },
                h('span', { class: p.overdue ? 'status status--declined' : 'status status--pending' },
                  t(p.overdue ? 'pages.overdue' : 'pages.due_soon'))))))))
      : h('p', { class: 'muted', id: 'review-empty' }, t('pages.review_empty')));
}
