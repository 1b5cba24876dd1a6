// The page chrome around every view: header tools (language, municipality switcher, account),
// the main navigation and the footer. The shell (index.html) already names the municipality, so
// the page is right before this runs.
import { api, base } from './api.js';
import { h, uid } from './dom.js';
import { getLang, t } from './i18n.js';
import { navItems, visibleNav } from './nav.js';
import { href } from './router.js';

// Where the same person reaches tenant `slug`. The session cookie belongs to one host, so the
// switch stays on this host and addresses the other municipality by the /t/SLUG prefix; the
// person's one session then works there too (the server checks the membership).
export function tenantUrl(slug) {
  return `${location.origin}/t/${encodeURIComponent(slug)}/`;
}

function languageButton(app) {
  const next = getLang() === 'sv' ? 'en' : 'sv';
  return h(
    'button',
    {
      type: 'button',
      class: 'header-button',
      id: 'lang-switch',
      lang: next,
      'aria-label': t('lang.switch_label'),
      onclick: () => app.setLanguage(next),
    },
    t('lang.switch'),
  );
}

// A disclosure (<details>) listing the municipalities where the person is a member.
function tenantSwitcher(me) {
  const others = me.memberships || [];
  if (others.length < 2) return null;
  const items = others.map((m) =>
    m.slug === me.tenant.slug
      ? h('li', {}, h('span', { class: 'switcher__current', 'aria-current': 'true' },
          t('tenant.current', { tenant: m.name })))
      : h('li', {}, h('a', { href: tenantUrl(m.slug), 'data-slug': m.slug }, m.name)),
  );
  const hintId = uid('switch-hint');
  return h(
    'details',
    { class: 'switcher', id: 'tenant-switcher' },
    h('summary', { class: 'header-button', 'aria-label': t('tenant.switch_label', { tenant: me.tenant.name }) },
      t('tenant.switch')),
    h('div', { class: 'switcher__panel' },
      h('p', { class: 'switcher__hint', id: hintId }, t('tenant.switch_hint')),
      h('ul', { class: 'switcher__list', 'aria-describedby': hintId }, items)),
  );
}

// The header's link to the notifications, with the unread count as a badge (and in words).
function notificationsLink() {
  return h('a', { class: 'header-button notif-link', id: 'notif-link', href: href('/notifications') },
    h('span', { class: 'notif-link__label' }, t('nav.notifications')),
    h('span', { class: 'badge', id: 'notif-badge', hidden: true, 'aria-hidden': 'true' }),
    h('span', { class: 'visually-hidden', id: 'notif-count' }));
}

// Asks for the unread count and updates the badge; quiet on failure (the badge is a hint).
export async function refreshBadge() {
  const badge = document.getElementById('notif-badge');
  if (!badge) return;
  let n = 0;
  try {
    n = (await api('GET', '/notifications?limit=1')).unread_count ?? 0;
  } catch {
    return;
  }
  badge.textContent = n > 99 ? '99+' : String(n);
  badge.hidden = n === 0;
  document.getElementById('notif-count').textContent = n ? `, ${t('notifications.badge', { n })}` : '';
}

function accountMenu(me, app) {
  return h(
    'details',
    { class: 'switcher account', id: 'account-menu' },
    h('summary', { class: 'header-button' },
      h('span', { class: 'account__initials', 'aria-hidden': 'true' }, initials(me.user.name)),
      h('span', { class: 'account__name' }, me.user.name),
      h('span', { class: 'visually-hidden' }, `, ${t('user.menu_label')}`)),
    h('div', { class: 'switcher__panel switcher__panel--right' },
      h('p', { class: 'switcher__hint' }, t('user.signed_in_as', { name: me.user.name })),
      h('p', { class: 'switcher__hint' }, me.user.email),
      h('p', {}, h('a', { href: href('/profile'), id: 'profile-link' }, t('user.profile'))),
      h('button', { type: 'button', class: 'button button--secondary', id: 'logout', onclick: () => app.logout() },
        t('user.logout'))),
  );
}

function initials(name) {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0].toUpperCase())
    .join('');
}

function navigation(me, path) {
  const items = visibleNav(me);
  const listId = 'main-nav-list';
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'nav-toggle',
      'aria-expanded': 'false',
      'aria-controls': listId,
    },
    h('span', { class: 'nav-toggle__icon', 'aria-hidden': 'true' }),
    t('nav.menu'),
  );
  const list = h(
    'ul',
    { class: 'site-nav__list', id: listId },
    items.map((item) =>
      h('li', {},
        h('a', { href: href(item.path), 'data-nav': item.id, 'aria-current': item.match(path) ? 'page' : null },
          t(item.label))),
    ),
  );
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    list.classList.toggle('is-open', open);
  });
  return h('nav', { class: 'site-nav', 'aria-label': t('nav.label') },
    h('div', { class: 'site-nav__inner' }, toggle, list));
}

// Re-renders the chrome for the signed-in person `me` (or null) at route `path`.
export function renderChrome(app, me, path) {
  const tenantName = app.tenantName();
  document.getElementById('brand-name').textContent = tenantName;
  document.getElementById('brand').setAttribute('href', href('/'));
  const skip = document.getElementById('skip-link');
  skip.textContent = t('skip.main');
  const tools = document.getElementById('header-tools');
  tools.replaceChildren(
    ...[me ? notificationsLink() : null, me ? tenantSwitcher(me) : null, languageButton(app),
      me ? accountMenu(me, app) : null].filter(Boolean),
  );
  if (me) refreshBadge();
  const slot = document.getElementById('site-nav-slot');
  slot.replaceChildren(...(me ? [navigation(me, path)] : []));
  document.getElementById('footer').replaceChildren(h('p', {}, t('footer.text', { tenant: tenantName })));
  // One open menu at a time; Escape closes and returns focus to its button.
  for (const d of tools.querySelectorAll('details')) {
    d.addEventListener('toggle', () => {
      if (d.open) for (const other of tools.querySelectorAll('details')) if (other !== d) other.open = false;
    });
    d.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && d.open) {
        d.open = false;
        d.querySelector('summary').focus();
      }
    });
  }
}

// Updates only which navigation entry is current (cheaper than a full chrome render).
export function markCurrent(path) {
  for (const a of document.querySelectorAll('.site-nav__list a')) {
    const item = navItems.find((i) => i.id === a.dataset.nav);
    if (item?.match(path)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const list = document.querySelector('.site-nav__list');
  const toggle = document.querySelector('.nav-toggle');
  if (list && toggle) {
    list.classList.remove('is-open');
    toggle.setAttribute('aria-expanded', 'false');
  }
  for (const d of document.querySelectorAll('#header-tools details')) d.open = false;
  const notif = document.getElementById('notif-link');
  if (notif) {
    if (path === '/notifications') notif.setAttribute('aria-current', 'page');
    else notif.removeAttribute('aria-current');
  }
}

export { base };
