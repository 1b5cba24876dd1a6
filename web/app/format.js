// How news metadata reads: date, author, audience and source, always as words (never by colour).
import { h } from './dom.js';
import { formatDate, formatDateTime, formatList, t } from './i18n.js';
import { href } from './router.js';

export function roleLabel(role) {
  return t(`role.${role}`);
}

// "Hemtjänst · Chefer" or "Hela kommunen".
export function audienceText(audience) {
  const units = audience?.units ?? [];
  const roles = (audience?.roles ?? []).map(roleLabel);
  if (!units.length && !roles.length) return t('news.audience_all');
  return [...units, ...roles].join(' · ');
}

export function timeElement(iso) {
  return h('time', { datetime: iso }, formatDateTime(iso));
}

// A date without the time of day ("22 november 2026").
export function dateElement(iso) {
  return h('time', { datetime: iso }, formatDate(iso));
}

// Attached documents of a news item or post: document ids, or objects naming one
// ({id, title|name, ...}); each links to the document's page. Null when there are none.
export function attachmentList(list) {
  const items = (Array.isArray(list) ? list : [])
    .map((a) => (typeof a === 'number' || typeof a === 'string' ? { id: a } : a))
    .filter((a) => a && /^\d+$/.test(String(a.id ?? a.document_id ?? '')));
  if (!items.length) return null;
  return h('div', { class: 'attachments' },
    h('p', { class: 'attachments__label' }, t('news.attachments')),
    h('ul', {}, items.map((a, i) => {
      const id = a.id ?? a.document_id;
      return h('li', {}, h('a', { href: href(`/documents/${id}`) },
        a.title || a.name || a.file_name || t('news.attachment_n', { n: i + 1 })));
    })));
}

// The tags under a news item: its source municipality (if shared) and its audience.
export function newsTags(n) {
  return h(
    'ul',
    { class: 'tags' },
    n.source
      ? h('li', { class: 'tag tag--source' },
          h('span', { class: 'tag__label' }, `${t('news.source_label')}: `),
          t('news.source', { name: n.source.name }))
      : null,
    h('li', { class: 'tag' },
      h('span', { class: 'tag__label' }, `${t('news.audience')}: `),
      audienceText(n.audience)),
  );
}

// What an audience choice reaches, as a sentence fragment for the editor's live summary.
export function reachText(units, roles, tenantName) {
  const roleText = formatList(roles.map(roleLabel));
  if (!units.length && !roles.length) return t('editor.reach_everyone', { tenant: tenantName });
  if (!units.length) return `${roleText} ${t('editor.reach_in')} ${tenantName}`;
  const unitText = t('editor.reach_units', { units: formatList(units) });
  return roles.length ? `${roleText} ${t('editor.reach_in')} ${formatList(units)}` : unitText;
}
