// Writing and editing news (editors): headline, summary, body, and the audience picker (roles,
// and units from the org tree with a filter for large municipalities). A live line says whom
// the choice reaches. Errors are summarised at the top and tied to their fields.
import { api } from './api.js';
import { h, uid } from './dom.js';
import { htmlToText, textToHtml } from './body_text.js';
import { reachText } from './format.js';
import { t } from './i18n.js';
import { isEditor, roleNames } from './roles.js';
import { href } from './router.js';
import { forbidden } from './view_common.js';
import { fromLocalInput, toLocalInput } from './forms.js';
import { loadPartners, partnerPicker } from './view_sharing.js';

// Units in tree order with their depth, children sorted by name.
export function unitTree(units) {
  const children = new Map();
  for (const u of units) {
    const key = u.parent_id ?? 0;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(u);
  }
  for (const list of children.values()) list.sort((a, b) => a.name.localeCompare(b.name, 'sv'));
  const out = [];
  const walk = (parent, depth) => {
    for (const u of children.get(parent) ?? []) {
      out.push({ ...u, depth });
      walk(u.id, depth + 1);
    }
  };
  walk(0, 0);
  return out;
}

// Documents offered as attachments: the newest ones (the list API's page).
const maxAttachable = 50;

function field(label, control, hint) {
  const hintId = hint ? uid('hint') : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    hint ? h('p', { class: 'field__hint', id: hintId }, hint) : null,
    control);
}

export async function editorView(ctx) {
  const editing = ctx.params.id !== undefined;
  ctx.setTitle(t(editing ? 'editor.title_edit' : 'editor.title_new'));
  if (!isEditor(ctx.me)) {
    forbidden(ctx, t('editor.forbidden'));
    return;
  }
  const [unitsResp, partners, existing, docs] = await Promise.all([
    api('GET', '/units'),
    editing ? [] : loadPartners(),
    editing ? api('GET', `/news/${encodeURIComponent(ctx.params.id)}`).catch((e) => {
      if (e.status === 404) return null;
      throw e;
    }) : null,
    // Documents to attach (the newest; a server without the list offers none).
    api('GET', `/documents?limit=${maxAttachable}`).then((r) => r.items ?? []).catch(() => []),
  ]);
  if (editing && !existing) {
    ctx.setTitle(t('news.not_found_title'));
    ctx.el.append(h('p', {}, t('news.not_found')), h('p', {}, h('a', { href: href('/') }, t('news.back'))));
    return;
  }
  const tenant = ctx.me.tenant.name;
  const units = unitTree(unitsResp.items ?? []);
  const original = existing ? htmlToText(existing.body) : { text: '', lossy: false };

  const title = h('input', { id: 'news-title', name: 'title', type: 'text', required: true, maxlength: '300',
    value: existing?.title ?? '' });
  const summary = h('textarea', { id: 'news-summary', name: 'summary', rows: '2', maxlength: '2000' });
  summary.value = existing?.summary ?? '';
  const body = h('textarea', { id: 'news-body', name: 'body', rows: '10', required: true });
  body.value = original.text;

  const chosenRoles = new Set(existing?.audience?.roles ?? []);
  const chosenUnits = new Set(existing?.audience?.units ?? []);
  const reach = h('p', { class: 'reach', id: 'audience-reach', 'aria-live': 'polite' });
  const updateReach = () => {
    const unitNames = units.filter((u) => chosenUnits.has(u.name)).map((u) => u.name);
    const roleList = roleNames.filter((r) => chosenRoles.has(r));
    reach.replaceChildren(h('strong', {}, t('editor.reach', { who: reachText(unitNames, roleList, tenant) })));
  };

  const roleBoxes = roleNames.map((r) => {
    const id = `role-${r}`;
    const input = h('input', { type: 'checkbox', id, name: 'roles', value: r, checked: chosenRoles.has(r) });
    input.addEventListener('change', () => {
      if (input.checked) chosenRoles.add(r);
      else chosenRoles.delete(r);
      updateReach();
    });
    return h('li', { class: 'check' }, input, h('label', { for: id }, t(`role.${r}`)));
  });

  const unitItems = units.map((u) => {
    const id = `unit-${u.id}`;
    const input = h('input', { type: 'checkbox', id, name: 'units', value: u.name, checked: chosenUnits.has(u.name) });
    input.addEventListener('change', () => {
      if (input.checked) chosenUnits.add(u.name);
      else chosenUnits.delete(u.name);
      updateReach();
    });
    const li = h('li', { class: `check depth-${Math.min(u.depth, 4)}`, 'data-name': u.name.toLowerCase() },
      input, h('label', { for: id }, u.name));
    return li;
  });
  const noMatch = h('li', { class: 'muted', hidden: true }, t('editor.units_none_match'));
  const filter = h('input', { id: 'unit-filter', type: 'search', autocomplete: 'off' });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    let visible = 0;
    for (const li of unitItems) {
      const show = !q || li.dataset.name.includes(q);
      li.hidden = !show;
      if (show) visible += 1;
    }
    noMatch.hidden = visible > 0;
  });

  // Publishing window: an empty "from" publishes now; an empty "until" keeps it up.
  const scheduled = existing?.status === 'scheduled';
  const publishAt = h('input', { id: 'news-publish-at', type: 'datetime-local',
    value: scheduled ? toLocalInput(existing.published_at) : '' });
  const unpublishAt = h('input', { id: 'news-unpublish-at', type: 'datetime-local',
    value: toLocalInput(existing?.unpublish_at) });
  const initialFrom = publishAt.value;
  const initialUntil = unpublishAt.value;

  // Attachments: documents of this municipality, chosen with checkboxes.
  const attached = new Set((existing?.attachments ?? []).map(Number));
  const attachItems = docs.map((d) => {
    const id = `attach-${d.id}`;
    const input = h('input', { type: 'checkbox', id, value: String(d.id), checked: attached.has(d.id) });
    input.addEventListener('change', () => (input.checked ? attached.add(d.id) : attached.delete(d.id)));
    return h('li', { class: 'check' }, input, h('label', { for: id }, d.title));
  });
  const initialAttached = [...attached].sort().join(',');

  // "Dela med": partners offered the item on publishing, and whether partners may borrow it.
  const sharing = !editing && partners.length ? partnerPicker(partners, 'editor') : null;
  const shareable = h('input', { type: 'checkbox', id: 'news-shareable', name: 'shareable' });
  const errorBox = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button', id: 'publish' },
    t(editing ? 'editor.save' : 'editor.publish'));

  function showErrors(list) {
    errorBox.replaceChildren(
      h('h2', { class: 'error-summary__title' }, t('editor.error_title')),
      h('ul', {}, list.map(({ text, target }) =>
        h('li', {}, target ? h('a', { href: `#${target.id}`, onclick: (e) => { e.preventDefault(); target.focus(); } }, text) : text))),
    );
    errorBox.hidden = false;
    for (const c of [title, body]) c.removeAttribute('aria-invalid');
    for (const { target } of list) target?.setAttribute('aria-invalid', 'true');
    errorBox.focus();
  }

  const form = h(
    'form',
    { class: 'editor-form', novalidate: true },
    errorBox,
    field(t('editor.field_title'), title),
    field(t('editor.field_summary'), summary, t('editor.summary_hint')),
    field(t('editor.field_body'), body, t('editor.body_hint')),
    original.lossy ? h('p', { class: 'notice notice--warning' }, t('editor.body_lossy')) : null,
    h('fieldset', { class: 'audience' },
      h('legend', {}, t('editor.audience')),
      h('p', { class: 'field__hint' }, t('editor.audience_hint')),
      h('fieldset', { class: 'audience__group' },
        h('legend', {}, t('editor.roles')),
        h('p', { class: 'field__hint' }, t('editor.roles_hint')),
        h('ul', { class: 'check-list check-list--inline' }, roleBoxes)),
      h('fieldset', { class: 'audience__group' },
        h('legend', {}, t('editor.units')),
        h('p', { class: 'field__hint' }, t('editor.units_hint')),
        units.length > 8 ? field(t('editor.units_filter'), filter) : null,
        h('ul', { class: 'check-list unit-list', id: 'unit-list' }, unitItems, noMatch)),
      reach),
    h('fieldset', { class: 'audience' },
      h('legend', {}, t('editor.schedule')),
      h('p', { class: 'field__hint' }, t('editor.schedule_hint')),
      field(t('editor.publish_at'), publishAt),
      field(t('editor.unpublish_at'), unpublishAt)),
    docs.length
      ? h('fieldset', { class: 'audience' },
          h('legend', {}, t('editor.attachments')),
          h('p', { class: 'field__hint' }, t('editor.attachments_hint')),
          h('ul', { class: 'check-list unit-list', id: 'attachment-list' }, attachItems))
      : null,
    sharing
      ? h('div', { class: 'sharing-options' }, sharing.el,
          h('p', { class: 'check' }, shareable, h('label', { for: 'news-shareable' }, t('sharing.shareable'))))
      : null,
    h('div', { class: 'button-row' },
      submit,
      h('a', { class: 'button button--secondary', href: href(editing ? `/news/${existing.id}` : '/') },
        t('editor.cancel'))),
  );
  updateReach();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problems = [];
    if (!title.value.trim()) problems.push({ text: t('editor.title_required'), target: title });
    if (!body.value.trim()) problems.push({ text: t('editor.body_required'), target: body });
    if (problems.length) {
      showErrors(problems);
      return;
    }
    const audience = {
      units: units.filter((u) => chosenUnits.has(u.name)).map((u) => u.name),
      roles: roleNames.filter((r) => chosenRoles.has(r)),
    };
    const payload = { title: title.value.trim(), summary: summary.value.trim(), audience };
    if (publishAt.value !== initialFrom) payload.publish_at = fromLocalInput(publishAt.value);
    if (unpublishAt.value !== initialUntil) payload.unpublish_at = fromLocalInput(unpublishAt.value);
    if (!editing && !payload.publish_at) delete payload.publish_at;
    if (!editing && !payload.unpublish_at) delete payload.unpublish_at;
    if ([...attached].sort().join(',') !== initialAttached) payload.attachments = [...attached];
    if (sharing) {
      const shareWith = sharing.value();
      if (shareWith.length) payload.share_with = shareWith;
      if (shareable.checked) payload.shareable = true;
    }
    // An unchanged body is not re-sent, so formatting the text form cannot show is kept.
    if (!editing || body.value !== original.text) payload.body = textToHtml(body.value);
    submit.disabled = true;
    submit.textContent = t('editor.saving');
    try {
      const saved = editing
        ? await api('PATCH', `/news/${existing.id}`, payload)
        : await api('POST', '/news', payload);
      ctx.app.flash(t(editing ? 'editor.saved' : 'editor.published'));
      ctx.app.navigate(`/news/${saved.id}`);
    } catch (err) {
      submit.disabled = false;
      submit.textContent = t(editing ? 'editor.save' : 'editor.publish');
      const target = /title/.test(err.code + err.message) ? title : /body/.test(err.code + err.message) ? body : null;
      showErrors([{ text: err.status === 0 ? t('error.network') : err.message || t('error.generic'), target }]);
    }
  });

  ctx.el.append(h('p', { class: 'muted' }, t('editor.intro')), form);
}
