// Samverka's web front end: boots the app, keeps who is signed in, and renders the view of the
// current route into the shell (index.html). Views are async functions (ctx) => void that fill
// ctx.el; see views.js for the routing table.
import { api, setUnauthenticatedHandler } from './api.js';
import { announce, h } from './dom.js';
import { getLang, setLang, t } from './i18n.js';
import { markCurrent, refreshBadge, renderChrome } from './layout.js';
import { current, navigate, resolve, start } from './router.js';
import { errorView, loginView, notFoundView } from './views.js';

const shellName = document.getElementById('brand-name').textContent;

const state = {
  me: null, // GET /api/v1/me: {user, tenant, memberships}
  notMember: false, // signed in, but not a member of this municipality
  flash: null, // a message for the next view ("Nyheten är publicerad.")
};

let renderSeq = 0;
let firstRender = true;

const app = {
  get me() {
    return state.me;
  },
  tenantName() {
    return state.me?.tenant?.name ?? shellName;
  },
  // Shows `text` as a status message on the next view.
  flash(text) {
    state.flash = text;
  },
  navigate,
  render,
  refreshBadge,
  async signedIn() {
    await loadMe();
    renderChrome(app, state.me, current().path);
    await render();
  },
  async logout() {
    try {
      await api('POST', '/auth/logout');
    } catch {
      // Already gone: the result is the same.
    }
    state.me = null;
    state.flash = t('user.logged_out');
    renderChrome(app, null, '/');
    navigate('/');
  },
  setLanguage(lang) {
    setLang(lang);
    renderChrome(app, state.me, current().path);
    document.getElementById('lang-switch')?.focus();
    announce(t('lang.changed'));
    render({ keepFocus: true });
  },
};

async function loadMe() {
  state.notMember = false;
  try {
    state.me = await api('GET', '/me');
  } catch (e) {
    state.me = null;
    if (e.code === 'not_a_member') state.notMember = true;
    else if (e.status !== 401) throw e;
  }
}

function setTitle(text) {
  const h1 = document.getElementById('page-title');
  h1.textContent = text;
  document.title = `${text} – ${app.tenantName()}`;
}

// Renders the current route. Views render into a detached element that replaces the old view
// only if no newer navigation started meanwhile.
async function render({ keepFocus = false } = {}) {
  const seq = ++renderSeq;
  const { path, query } = current();
  const el = h('div', { class: 'view' });
  let title = app.tenantName();
  const ctx = {
    app,
    me: state.me,
    el,
    query,
    params: {},
    setTitle: (text) => {
      title = text;
    },
    isCurrent: () => seq === renderSeq,
    takeFlash: () => {
      const f = state.flash;
      state.flash = null;
      return f;
    },
  };
  const viewRoot = document.getElementById('view');
  viewRoot.setAttribute('aria-busy', 'true');
  try {
    if (!state.me) {
      ctx.notMember = state.notMember;
      await loginView(ctx);
    } else {
      const found = resolve(path);
      if (found) {
        ctx.params = found.params;
        await found.view(ctx);
      } else {
        await notFoundView(ctx);
      }
    }
  } catch (e) {
    el.replaceChildren();
    await errorView(ctx, e);
  }
  if (seq !== renderSeq) return;
  // A message the view did not place itself goes first ("Nyheten är borttagen.").
  const flash = ctx.takeFlash();
  if (flash) el.prepend(h('p', { class: 'notice notice--success', role: 'status' }, flash));
  setTitle(title);
  viewRoot.replaceChildren(el);
  viewRoot.removeAttribute('aria-busy');
  markCurrent(path);
  if (state.me && !firstRender) refreshBadge();
  // Move focus to the new page's heading, as a page load would, except on the first load.
  if (!firstRender && !keepFocus) document.getElementById('page-title').focus();
  if (!keepFocus) window.scrollTo(0, 0);
  firstRender = false;
  ctx.afterRender?.();
}

async function boot() {
  setLang(getLang());
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    const main = document.getElementById('main');
    main.focus();
    main.scrollIntoView();
  });
  setUnauthenticatedHandler(() => {
    if (!state.me) return;
    state.me = null;
    state.flash = t('error.session_expired');
    renderChrome(app, null, current().path);
    render();
  });
  try {
    await loadMe();
  } catch (e) {
    const el = document.getElementById('view');
    el.replaceChildren(h('p', { class: 'notice notice--error', role: 'alert' },
      e.status === 503 ? t('error.suspended') : t('error.network')));
    return;
  }
  renderChrome(app, state.me, current().path);
  start(() => render());
  await render();
}

boot();
