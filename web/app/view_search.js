// Search across the municipality's content (GET /search) with type filters and type-ahead: results
// follow the typing (the last word matching as a prefix), debounced, announced politely.
import { api } from './api.js';
import { announce, h, fill } from './dom.js';
import { timeElement } from './format.js';
import { t } from './i18n.js';
import { href, replace } from './router.js';

// Wait after the last key press before asking: one request per pause, not per key.
const debounceMs = 250;
// The API's q limit (docs/openapi.yaml).
const maxQuery = 200;
const types = ['all', 'news', 'page', 'document', 'person', 'guide', 'group'];

// The server's snippet is HTML-escaped text with <mark> around matches: rebuilt as text nodes and
// <mark> elements only, so nothing else from it can become markup.
function snippet(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const out = h('p', { class: 'search-hit__snippet' });
  for (const node of doc.body.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.tagName === 'MARK') out.append(h('mark', {}, node.textContent));
    else out.append(document.createTextNode(node.textContent));
  }
  return out;
}

function link(hit) {
  if (hit.type === 'news') return href(`/news/${hit.id}`);
  if (hit.type === 'group') return href(`/groups/${hit.id}`);
  if (hit.type === 'page') return href(`/pages/${hit.id}`);
  if (hit.type === 'guide') return href(`/guides/${hit.id}`);
  if (hit.type === 'person') return href(`/people/${hit.id}`);
  if (hit.type === 'document') return href(`/documents/${hit.id}`);
  return null;
}

export async function searchView(ctx) {
  ctx.setTitle(t('search.title'));
  let type = types.includes(ctx.query.get('type')) ? ctx.query.get('type') : 'all';
  const input = h('input', { id: 'search-q', type: 'search', autocomplete: 'off', maxlength: String(maxQuery),
    value: ctx.query.get('q') ?? '', 'aria-describedby': 'search-hint', 'aria-controls': 'search-results' });
  const status = h('p', { class: 'muted', id: 'search-status', role: 'status' });
  const results = h('ul', { class: 'news-list', id: 'search-results' });
  let timer = null;
  let seq = 0;

  async function run() {
    const q = input.value.trim();
    const mine = ++seq;
    replace(`/search?${new URLSearchParams({ ...(q ? { q } : {}), ...(type !== 'all' ? { type } : {}) })}`);
    if (!q) {
      results.replaceChildren();
      status.textContent = t('search.prompt');
      return;
    }
    const params = new URLSearchParams({ q, prefix: '1', limit: '20' });
    if (type !== 'all') params.set('type', type);
    let r;
    try {
      r = await api('GET', `/search?${params}`);
    } catch (e) {
      if (mine !== seq) return;
      status.textContent = e.status === 0 ? t('error.network') : t('search.failed');
      return;
    }
    if (mine !== seq) return;
    const hits = r.items ?? [];
    results.replaceChildren(...hits.map((hit) => {
      const url = link(hit);
      return h('li', { class: 'news-card search-hit' },
        h('p', { class: 'search-hit__type' }, t(`search.type_${hit.type}`)),
        h('h2', { class: 'news-card__title' }, url ? h('a', { href: url }, hit.title) : hit.title),
        snippet(hit.snippet ?? ''),
        hit.updated_at ? h('p', { class: 'news-card__meta' }, timeElement(hit.updated_at)) : null);
    }));
    status.textContent = hits.length ? t(hits.length === 1 ? 'search.count_one' : 'search.count', { n: hits.length }) : t('search.none', { q });
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  });
  const form = h('form', { class: 'search-form', role: 'search', onsubmit: (e) => { e.preventDefault(); clearTimeout(timer); run().then(() => announce(status.textContent)); } },
    h('div', { class: 'field' },
      h('label', { for: 'search-q' }, t('search.label')),
      h('p', { class: 'field__hint', id: 'search-hint' }, t('search.hint')),
      h('div', { class: 'search-row' }, input, h('button', { type: 'submit', class: 'button' }, t('search.submit')))),
    h('fieldset', { class: 'type-filter' },
      h('legend', {}, t('search.types')),
      h('ul', { class: 'check-list check-list--inline' }, types.map((ty) => h('li', { class: 'check' },
        h('input', { type: 'radio', name: 'search-type', id: `type-${ty}`, value: ty, checked: ty === type,
          onchange: () => { type = ty; run(); } }),
        h('label', { for: `type-${ty}` }, t(`search.filter_${ty}`)))))));
  fill(ctx.el, form, status, results);
  await run();
}
