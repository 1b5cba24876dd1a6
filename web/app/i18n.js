// Every string the UI shows goes through t(). Swedish by default; the choice of English is kept
// in localStorage (a preference, nothing sensitive).
import sv from '../i18n/sv.js';
import en from '../i18n/en.js';

const dictionaries = { sv, en };
export const languages = ['sv', 'en'];
const storageKey = 'samverka.lang';

function stored() {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

let lang = languages.includes(stored()) ? stored() : 'sv';

export function getLang() {
  return lang;
}

export function setLang(next) {
  if (!languages.includes(next)) return;
  lang = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(storageKey, next);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

// The text for `key` with {placeholders} filled from `vars`.
export function t(key, vars = {}) {
  const text = dictionaries[lang][key] ?? dictionaries.sv[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

function locale() {
  return lang === 'sv' ? 'sv-SE' : 'en-GB';
}

// "22 nov. 2025 09:30" style date and time, in the user's language.
export function formatDateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function formatDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long' }).format(d);
}

// "a, b och c" / "a, b and c".
export function formatList(items) {
  if (typeof Intl.ListFormat === 'function')
    return new Intl.ListFormat(locale(), { style: 'long', type: 'conjunction' }).format(items);
  return items.join(', ');
}
