// How news metadata reads: date, author, audience and source, always as words (never by colour).
import { h } from './dom.js';
import { formatDateTime, formatList, t } from './i18n.js';

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
