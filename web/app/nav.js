// The main navigation: one entry per screen, shown only to those who can use it. No entry points
// at a screen that does not work. Notifications and the profile live in the header (layout.js).
import { isAdmin, isEditor } from './roles.js';

export const navItems = [
  { id: 'home', path: '/', label: 'nav.home', show: () => true, match: (p) => p === '/' },
  { id: 'write', path: '/news/new', label: 'nav.write', show: isEditor, match: (p) => p === '/news/new' },
  // The sharing inbox and the partner catalogue, with tabs between them (view_sharing.js).
  {
    id: 'sharing',
    path: '/sharing/inbox',
    label: 'nav.sharing',
    show: isEditor,
    match: (p) => p.startsWith('/sharing'),
  },
  { id: 'pages', path: '/pages', label: 'nav.pages', show: () => true, match: (p) => p.startsWith('/pages') },
  {
    id: 'documents',
    path: '/documents',
    label: 'nav.documents',
    show: () => true,
    match: (p) => p.startsWith('/documents'),
  },
  { id: 'guides', path: '/guides', label: 'nav.guides', show: () => true, match: (p) => p.startsWith('/guides') },
  { id: 'groups', path: '/groups', label: 'nav.groups', show: () => true, match: (p) => p.startsWith('/groups') },
  { id: 'ideas', path: '/ideas', label: 'nav.ideas', show: () => true, match: (p) => p === '/ideas' },
  { id: 'search', path: '/search', label: 'nav.search', show: () => true, match: (p) => p === '/search' },
  // Users, units, partnerships and the audit trail are reached from the administration page.
  { id: 'admin', path: '/admin', label: 'nav.admin', show: isAdmin, match: (p) => p.startsWith('/admin') },
];

export function visibleNav(me) {
  return navItems.filter((item) => item.show(me));
}
