// One news item: headline, date and author, summary, body, audience and source; editors can
// edit or delete it here (delete asks for confirmation first).
import { api } from './api.js';
import { h, fill } from './dom.js';
import { attachmentList, newsTags, timeElement } from './format.js';
import { formatDateTime, t } from './i18n.js';
import { isEditor } from './roles.js';
import { href } from './router.js';
import { sharingSection } from './view_sharing.js';

// The body is HTML that the server has already passed through its allowlist sanitiser
// (tenant/sanitize.hpp); it is parsed inert (no scripts run, CSP forbids inline ones anyway).
function bodyFragment(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const frag = document.createDocumentFragment();
  frag.append(...doc.body.childNodes);
  return frag;
}

export async function articleView(ctx) {
  const id = ctx.params.id;
  let n;
  try {
    if (!/^\d+$/.test(id)) throw Object.assign(new Error('not found'), { status: 404 });
    n = await api('GET', `/news/${id}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    ctx.setTitle(t('news.not_found_title'));
    fill(ctx.el, h('p', {}, t('news.not_found')), h('p', {}, h('a', { href: href('/') }, t('news.back'))));
    return;
  }
  ctx.setTitle(n.title);
  const flash = ctx.takeFlash();
  const updated = n.updated_at && n.updated_at !== n.published_at;

  let actions = null;
  if (isEditor(ctx.me)) {
    const confirmBox = h('div', { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-text', hidden: true });
    const deleteButton = h('button', { type: 'button', class: 'button button--danger', id: 'delete-news',
      'aria-expanded': 'false', 'aria-controls': 'confirm-delete' }, t('news.delete'));
    confirmBox.id = 'confirm-delete';
    const yes = h('button', { type: 'button', class: 'button button--danger', id: 'confirm-delete-yes' },
      t('news.delete_yes'));
    const no = h('button', { type: 'button', class: 'button button--secondary' }, t('news.cancel'));
    const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
    confirmBox.append(h('p', { id: 'confirm-text' }, t('news.delete_confirm', { title: n.title })),
      h('div', { class: 'button-row' }, yes, no), problem);
    deleteButton.addEventListener('click', () => {
      confirmBox.hidden = false;
      deleteButton.setAttribute('aria-expanded', 'true');
      no.focus();
    });
    no.addEventListener('click', () => {
      confirmBox.hidden = true;
      deleteButton.setAttribute('aria-expanded', 'false');
      deleteButton.focus();
    });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await api('DELETE', `/news/${n.id}`);
        ctx.app.flash(t('news.deleted'));
        ctx.app.navigate('/');
      } catch (e) {
        yes.disabled = false;
        problem.textContent = e.status === 0 ? t('error.network') : e.message || t('error.generic');
        problem.hidden = false;
      }
    });
    actions = h('section', { class: 'editor-actions', 'aria-labelledby': 'actions-heading' },
      h('h2', { id: 'actions-heading', class: 'visually-hidden' }, t('news.editor_actions')),
      h('div', { class: 'button-row' },
        h('a', { class: 'button', href: href(`/news/${n.id}/edit`), id: 'edit-news' }, t('news.edit')),
        deleteButton),
      confirmBox);
  }

  // Attachments are document ids: their titles make the links.
  const attachments = await Promise.all((n.attachments ?? []).map((a) => (typeof a === 'number'
    ? api('GET', `/documents/${a}`).then((d) => ({ id: a, title: d.title })).catch(() => ({ id: a }))
    : a)));
  const sharing = await sharingSection(ctx, n);

  fill(ctx.el, 
    h('p', { class: 'back-link' }, h('a', { href: href('/') }, t('news.back'))),
    flash ? h('p', { class: 'notice notice--success', role: 'status' }, flash) : null,
    h('article', { class: 'article', 'aria-labelledby': 'page-title' },
      h('p', { class: 'article__meta' },
        `${t('news.published')} `, timeElement(n.published_at),
        n.author?.name ? ` ${t('news.by', { name: n.author.name })}` : '',
        updated ? h('span', { class: 'article__updated' }, ` · ${t('news.updated', { date: formatDateTime(n.updated_at) })}`) : null),
      n.status === 'scheduled'
        ? h('p', { class: 'status-line' }, h('span', { class: 'status status--pending' },
            t('news.status_scheduled', { date: formatDateTime(n.published_at) })))
        : null,
      n.status === 'unpublished'
        ? h('p', { class: 'status-line' }, h('span', { class: 'status status--declined' }, t('news.status_unpublished')))
        : null,
      n.status !== 'unpublished' && n.unpublish_at && isEditor(ctx.me)
        ? h('p', { class: 'muted' }, t('news.unpublish_at', { date: formatDateTime(n.unpublish_at) }))
        : null,
      newsTags(n),
      n.summary ? h('p', { class: 'lead' }, n.summary) : null,
      h('div', { class: 'prose' }, bodyFragment(n.body)),
      attachmentList(attachments)),
    actions,
    sharing,
  );
}
