// A small hash router: '#/news/12' -> the view registered for '/news/:id'. Hash URLs need no
// server support, so the same shell works at SLUG.host/ and at /t/SLUG/. Hashes that do not
// start with '#/' (in-page anchors) are not routes.
const routes = [];

// Registers `view` for `pattern` ('/news/:id/edit').
export function route(pattern, view) {
  const keys = [];
  const source = pattern.replace(/:([a-z_]+)/g, (m, key) => {
    keys.push(key);
    return '([^/]+)';
  });
  routes.push({ re: new RegExp(`^${source}$`), keys, view });
}

let lastPath = '/';

// The current route path and query: {path: '/news/12', query: URLSearchParams}.
export function current() {
  const hash = location.hash;
  const full = hash.startsWith('#/') ? hash.slice(1) : lastPath;
  lastPath = full;
  const q = full.indexOf('?');
  return {
    path: q < 0 ? full : full.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : full.slice(q + 1)),
  };
}

// The view and its parameters for `path`, or null.
export function resolve(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    const params = {};
    r.keys.forEach((k, i) => {
      params[k] = decodeURIComponent(m[i + 1]);
    });
    return { view: r.view, params };
  }
  return null;
}

export function href(path) {
  return `#${path}`;
}

export function navigate(path) {
  if (location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = `#${path}`;
}

// Rewrites the current URL (e.g. a filter) without a new render or history entry.
export function replace(path) {
  lastPath = path;
  history.replaceState(history.state, '', `#${path}`);
}

export function start(onChange) {
  window.addEventListener('hashchange', () => {
    if (location.hash === '' || location.hash.startsWith('#/')) onChange();
  });
}
