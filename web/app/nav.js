// The main navigation: one entry per screen, shown only to those who can use it. Screens of the
// features still being built (pages, documents, guides, audit trail) get an entry here when their
// UI exists; their labels are already in the dictionaries (nav.*). No entry points at a screen
// that does not work. Notifications live in the header (layout.js) with the unread badge.
import { isAdmin, isEditor } from './roles.js';

export const navItems = [
  { id: 'home', path: '/', label: 'nav.home', show: () => true, match: (p) => p === '/' },
  {
    id: 'write',
    path: '/news/new',
    label: 'nav.write',
    show: isEditor,
    match: (p) => p === '/news/new',
  },
  {
    id: 'sharing_inbox',
    path: '/sharing/inbox',
    label: 'nav.sharing_inbox',
    show: isEditor,
    match: (p) => p === '/sharing/inbox',
  },
  {
    id: 'catalog',
    path: '/sharing/catalog',
    label: 'nav.catalog',
    show: isEditor,
    match: (p) => p === '/sharing/catalog',
  },
  { id: 'groups', path: '/groups', label: 'nav.groups', show: () => true, match: (p) => p.startsWith('/groups') },
  { id: 'ideas', path: '/ideas', label: 'nav.ideas', show: () => true, match: (p) => p === '/ideas' },
  { id: 'search', path: '/search', label: 'nav.search', show: () => true, match: (p) => p === '/search' },
  {
    id: 'users',
    path: '/admin/users',
    label: 'nav.admin_users',
    show: isAdmin,
    match: (p) => p === '/admin/users',
  },
  {
    id: 'units',
    path: '/admin/units',
    label: 'nav.admin_units',
    show: isAdmin,
    match: (p) => p === '/admin/units',
  },
];

export function visibleNav(me) {
  return navItems.filter((item) => item.show(me));
}
