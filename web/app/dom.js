// Building DOM from code, never from strings: text always goes in as text, so nothing the API
// returns can inject markup (the one exception, a news body, is sanitised by the server and
// inserted explicitly in view_article.js).

// h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child, [more]) -> element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (key === 'checked' || key === 'selected') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A unique id for label/aria wiring.
let counter = 0;
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

// A polite announcement for screen readers (the shell's role=status region).
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  // A fresh text node after a tick makes repeated messages be read again.
  setTimeout(() => {
    live.textContent = text;
  }, 50);
}

// Appends children to `el` as h() does: null, undefined and false are left out (the DOM's own
// append would write them as text).
export function fill(el, ...children) {
  append(el, children);
  return el;
}
