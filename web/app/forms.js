// Form pieces shared by the content screens (pages, guides, documents, profile, admin): a labelled
// field with an optional hint, an error summary tied to its fields, a confirm-before-delete box,
// and date conversions for datetime-local inputs.
import { announce, h, uid } from './dom.js';
import { t } from './i18n.js';

// A label, an optional hint (tied with aria-describedby) and the control.
export function field(label, control, hint) {
  if (!control.id) control.id = uid('field');
  const hintId = hint ? uid('hint') : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    hint ? h('p', { class: 'field__hint', id: hintId }, hint) : null,
    control);
}

// API error codes with words of their own (others show the server's message).
const knownCodes = new Set([
  'forbidden', 'editor_required', 'admin_required', 'page_has_children', 'page_cycle', 'unknown_owner',
  'unknown_parent', 'invalid_schedule', 'nothing_pending', 'quota_exceeded', 'file_too_large',
  'invalid_url', 'too_many_links', 'invalid_phone', 'unsupported_image', 'photo_too_large',
]);

// The words for a failed API call.
export function errorText(e) {
  if (e?.status === 0) return t('error.network');
  if (knownCodes.has(e?.code)) return t(`apierror.${e.code}`);
  return e?.message || t('error.generic');
}

// An error summary: show([{text, target?}]) lists the problems, links each to its field and marks
// the fields invalid; hide() clears it.
export function errorSummary(titleKey) {
  const el = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  let marked = [];
  return {
    el,
    show(list) {
      for (const c of marked) c.removeAttribute('aria-invalid');
      marked = list.map((p) => p.target).filter(Boolean);
      el.replaceChildren(
        h('h2', { class: 'error-summary__title' }, t(titleKey)),
        h('ul', {}, list.map(({ text, target }) =>
          h('li', {}, target
            ? h('a', { href: `#${target.id}`, onclick: (e) => { e.preventDefault(); target.focus(); } }, text)
            : text))));
      for (const c of marked) c.setAttribute('aria-invalid', 'true');
      el.hidden = false;
      el.focus();
    },
    hide() {
      for (const c of marked) c.removeAttribute('aria-invalid');
      marked = [];
      el.hidden = true;
    },
  };
}

// A delete button that asks first: the question, "yes" and "cancel". onYes may throw an API
// error, which is shown in the box.
export function confirmDelete({ id, label, question, yesLabel, onYes }) {
  const boxId = `${id}-confirm`;
  const button = h('button', { type: 'button', class: 'button button--danger', id,
    'aria-expanded': 'false', 'aria-controls': boxId }, label);
  const yes = h('button', { type: 'button', class: 'button button--danger', id: `${id}-yes` }, yesLabel);
  const no = h('button', { type: 'button', class: 'button button--secondary' }, t('news.cancel'));
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const textId = `${id}-question`;
  const box = h('div', { class: 'confirm', id: boxId, role: 'group', 'aria-labelledby': textId, hidden: true },
    h('p', { id: textId }, question), h('div', { class: 'button-row' }, yes, no), problem);
  button.addEventListener('click', () => {
    box.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    no.focus();
  });
  no.addEventListener('click', () => {
    box.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await onYes();
    } catch (e) {
      yes.disabled = false;
      problem.textContent = errorText(e);
      problem.hidden = false;
      announce(problem.textContent);
    }
  });
  return { button, box };
}

// RFC 3339 -> the value of a datetime-local input (local time), '' for none.
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// A datetime-local input's value -> RFC 3339 UTC, '' for an empty input.
export function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// "1,2 MB" style sizes.
export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return t('size.bytes', { n });
  const units = ['size.kb', 'size.mb', 'size.gb'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  const text = new Intl.NumberFormat(document.documentElement.lang === 'en' ? 'en-GB' : 'sv-SE',
    { maximumFractionDigits: v < 10 ? 1 : 0 }).format(v);
  return t(units[i], { n: text });
}
