// Documents: the list (newest first, paged), one document with its versions and downloads, and
// for editors uploading a document or a new version and deleting one. Files go up as the raw
// request body (the server streams them to disk); downloads are plain links the browser follows.
import { api, apiUrl, upload } from './api.js';
import { announce, fill, h } from './dom.js';
import { timeElement } from './format.js';
import { confirmDelete, errorSummary, errorText, field, formatSize } from './forms.js';
import { t } from './i18n.js';
import { isEditor } from './roles.js';
import { href, replace } from './router.js';

// Documents per page of the list.
const pageSize = 20;
// The gateway's upload limit (gateway::limits::max_upload_bytes, 50 MiB): refused before sending.
const maxUploadBytes = 50 * 1024 * 1024;

function uploadError(e) {
  if (['file_too_large', 'body_too_large', 'too_large'].includes(e.code)) return t('documents.too_large');
  if (e.code === 'quota_exceeded') return t('documents.quota');
  if (e.code === 'empty_file') return t('documents.empty_file');
  return errorText(e);
}

// The form for a new document or (with documentId) a new version of one.
function uploadForm(ctx, documentId) {
  const file = h('input', { type: 'file', id: documentId ? 'version-file' : 'document-file', required: true });
  const title = documentId ? null : h('input', { type: 'text', id: 'document-title', maxlength: '300' });
  const errors = errorSummary('documents.error_title');
  const submit = h('button', { type: 'submit', class: 'button', id: documentId ? 'upload-version' : 'upload-document' },
    t(documentId ? 'documents.upload_version' : 'documents.upload'));
  const headingId = documentId ? 'version-heading' : 'upload-heading';
  const form = h('form', { class: 'card upload-form', novalidate: true, 'aria-labelledby': headingId },
    h('h2', { id: headingId }, t(documentId ? 'documents.new_version' : 'documents.new')),
    errors.el,
    field(t('documents.field_file'), file, t('documents.file_hint')),
    title ? field(t('documents.field_title'), title, t('documents.title_hint')) : null,
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) {
      errors.show([{ text: t('documents.choose_file'), target: file }]);
      return;
    }
    if (f.size > maxUploadBytes) {
      errors.show([{ text: t('documents.too_large'), target: file }]);
      return;
    }
    const params = new URLSearchParams({ name: f.name });
    if (title?.value.trim()) params.set('title', title.value.trim());
    submit.disabled = true;
    submit.textContent = t('documents.uploading');
    try {
      const d = await upload('POST', documentId ? `/documents/${documentId}/versions?${params}` : `/documents?${params}`, f, f.type);
      ctx.app.flash(t(documentId ? 'documents.version_uploaded' : 'documents.uploaded'));
      if (documentId) await ctx.app.render();
      else ctx.app.navigate(`/documents/${d.id}`);
    } catch (err) {
      submit.disabled = false;
      submit.textContent = t(documentId ? 'documents.upload_version' : 'documents.upload');
      errors.show([{ text: uploadError(err), target: file }]);
    }
  });
  return form;
}

// A title filter above a list (documents, guides): calls onFilter(text) on submit.
export function filterForm(kind, value, onFilter) {
  const id = `${kind}-filter`;
  const input = h('input', { id, type: 'search', autocomplete: 'off', value, maxlength: '200' });
  const form = h('form', { class: 'list-filter', role: 'search' },
    h('label', { for: id }, t(`${kind}.filter`)),
    h('div', { class: 'search-row' }, input,
      h('button', { type: 'submit', class: 'button button--secondary' }, t('documents.filter_apply'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    onFilter(input.value.trim());
  });
  return form;
}

function documentRow(d) {
  return h('li', { class: 'news-card document-item' },
    h('h3', { class: 'news-card__title' }, h('a', { href: href(`/documents/${d.id}`) }, d.title)),
    h('p', { class: 'news-card__meta' },
      d.file_name ?? '', d.size !== undefined ? ` · ${formatSize(d.size)}` : '',
      d.version ? ` · ${t('documents.version_n', { n: d.version })}` : '',
      d.updated_at ? [' · ', t('documents.updated'), ' ', timeElement(d.updated_at)] : null),
    d.download_url
      ? h('p', { class: 'document-item__download' },
          h('a', { href: d.download_url, download: '' }, t('documents.download_named', { title: d.title })))
      : null);
}

// A filterable, cursor-paged list of `kind` ("documents", "guides") from GET /KIND, one `row`
// per item. Resolves to the nodes to show, or null where the server has no such list.
export async function pagedList(ctx, kind, { listId, statusId, moreId, row }) {
  const list = h('ul', { class: 'news-list', id: listId });
  const status = h('p', { class: 'muted', id: statusId });
  const more = h('button', { type: 'button', class: 'button button--secondary', id: moreId, hidden: true },
    t(`${kind}.more`));
  let cursor = null;
  let available = true;
  let query = ctx.query.get('q') ?? '';
  async function load() {
    const params = new URLSearchParams({ limit: String(pageSize) });
    if (cursor) params.set('cursor', cursor);
    if (query) params.set('q', query);
    let page;
    try {
      page = await api('GET', `/${kind}?${params}`);
    } catch (e) {
      if (e.status !== 404 && e.status !== 405) throw e;
      available = false;
      return;
    }
    for (const item of page.items ?? []) list.append(row(item));
    cursor = page.next_cursor ?? null;
    more.hidden = !cursor;
    if (list.childElementCount) status.textContent = t(`${kind}.count`, { n: list.childElementCount });
    else status.textContent = query ? t(`${kind}.none_match`, { q: query }) : t(`${kind}.empty`);
  }
  more.addEventListener('click', async () => {
    const before = list.childElementCount;
    await load();
    list.children[before]?.querySelector('a')?.focus();
    announce(status.textContent);
  });
  await load();
  const filter = filterForm(kind, query, async (q) => {
    query = q;
    cursor = null;
    list.replaceChildren();
    replace(q ? `/${kind}?${new URLSearchParams({ q })}` : `/${kind}`);
    await load();
    announce(status.textContent);
  });
  return available ? [filter, list, status, more] : null;
}

export async function documentsView(ctx) {
  ctx.setTitle(t('documents.title'));
  const content = await pagedList(ctx, 'documents', {
    listId: 'document-list', statusId: 'document-status', moreId: 'more-documents', row: documentRow,
  });
  const editor = isEditor(ctx.me);
  fill(ctx.el,
    h('p', { class: 'lead' }, t('documents.intro', { tenant: ctx.me.tenant.name })),
    h('div', { class: 'home-layout' },
      h('section', { 'aria-labelledby': 'documents-heading' },
        h('h2', { id: 'documents-heading' }, t('documents.list')),
        content
          ?? h('p', { class: 'notice notice--info', id: 'documents-unavailable' }, t('documents.list_unavailable'), ' ',
              h('a', { href: href('/search?type=document') }, t('documents.search_instead')))),
      editor ? h('aside', { class: 'home-aside' }, uploadForm(ctx)) : null));
}

export async function documentView(ctx) {
  const id = ctx.params.id;
  let d;
  try {
    if (!/^\d+$/.test(id)) throw Object.assign(new Error('not found'), { status: 404 });
    d = await api('GET', `/documents/${id}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    ctx.setTitle(t('documents.not_found_title'));
    fill(ctx.el, h('p', {}, t('documents.not_found')), h('p', {}, h('a', { href: href('/documents') }, t('documents.back'))));
    return;
  }
  ctx.setTitle(d.title);
  const versions = d.versions ?? [];
  const cols = ['documents.col_version', 'documents.col_file', 'documents.col_size', 'documents.col_by', 'documents.col_time', 'documents.col_download'];
  const editor = isEditor(ctx.me);
  let del = null;
  if (editor) {
    del = confirmDelete({
      id: 'delete-document',
      label: t('documents.delete'),
      question: t('documents.delete_confirm', { title: d.title }),
      yesLabel: t('documents.delete_yes'),
      onYes: async () => {
        await api('DELETE', `/documents/${d.id}`);
        ctx.app.flash(t('documents.deleted'));
        ctx.app.navigate('/documents');
      },
    });
  }
  const download = d.download_url ?? apiUrl(`/documents/${d.id}/content`);
  fill(ctx.el,
    h('p', { class: 'back-link' }, h('a', { href: href('/documents') }, t('documents.back'))),
    h('section', { class: 'article', 'aria-labelledby': 'page-title' },
      h('dl', { class: 'page-facts' },
        h('div', {}, h('dt', {}, t('documents.col_file')), h('dd', {}, d.file_name)),
        h('div', {}, h('dt', {}, t('documents.col_size')), h('dd', {}, formatSize(d.size))),
        h('div', {}, h('dt', {}, t('documents.col_version')), h('dd', {}, String(d.version))),
        h('div', {}, h('dt', {}, t('documents.updated')), h('dd', {}, timeElement(d.updated_at)))),
      h('p', {}, h('a', { class: 'button', href: download, download: '', id: 'download-document' },
        t('documents.download'), h('span', { class: 'visually-hidden' }, ` ${d.title}`)))),
    h('section', { class: 'versions', 'aria-labelledby': 'doc-versions-heading' },
      h('h2', { id: 'doc-versions-heading' }, t('documents.versions')),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'data-table', id: 'document-versions' },
          h('caption', { class: 'visually-hidden' }, t('documents.versions')),
          h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, t(c))))),
          h('tbody', {}, versions.map((v) => h('tr', {},
            h('td', { 'data-label': t(cols[0]) }, String(v.version)),
            h('td', { 'data-label': t(cols[1]) }, v.file_name),
            h('td', { 'data-label': t(cols[2]) }, formatSize(v.size)),
            h('td', { 'data-label': t(cols[3]) }, v.uploaded_by?.name ?? ''),
            h('td', { 'data-label': t(cols[4]) }, timeElement(v.created_at)),
            h('td', { 'data-label': t(cols[5]) },
              h('a', { href: `${download}?version=${v.version}`, download: '' },
                t('documents.download_version', { n: v.version }))))))))),
    editor ? uploadForm(ctx, d.id) : null,
    del ? h('div', { class: 'editor-actions' }, h('div', { class: 'button-row' }, del.button), del.box) : null);
}

// The start page's card: documents the person opened lately.
export function recentDocumentsCard(docs) {
  return h('section', { class: 'card', 'aria-labelledby': 'recent-docs-heading' },
    h('h2', { id: 'recent-docs-heading' }, t('documents.recent')),
    docs.length
      ? h('ul', { class: 'shortcut-list', id: 'recent-documents' }, docs.map((d) => h('li', {},
          h('a', { href: href(`/documents/${d.id}`) }, d.title))))
      : h('p', { class: 'muted' }, t('documents.recent_empty')),
    h('p', {}, h('a', { href: href('/documents') }, t('documents.all'))));
}
