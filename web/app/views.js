// The routing table of the UI: path pattern -> view. New screens (pages, documents, search,
// groups, sharing inbox, ...) register here and add an entry in nav.js.
import { adminUnitsView, adminUsersView } from './view_admin.js';
import { articleView } from './view_article.js';
import { editorView } from './view_editor.js';
import { groupView, groupsView } from './view_groups.js';
import { homeView } from './view_home.js';
import { searchView } from './view_search.js';
import { catalogView, inboxView } from './view_sharing.js';
import { ideasView, notificationsView } from './view_social.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { href, route } from './router.js';

export { loginView } from './view_login.js';

route('/', homeView);
route('/news/new', editorView);
route('/news/:id', articleView);
route('/news/:id/edit', editorView);
route('/sharing/inbox', inboxView);
route('/sharing/catalog', catalogView);
route('/groups', groupsView);
route('/groups/:id', groupView);
route('/notifications', notificationsView);
route('/ideas', ideasView);
route('/search', searchView);
route('/admin/users', adminUsersView);
route('/admin/units', adminUnitsView);

export async function notFoundView(ctx) {
  ctx.setTitle(t('error.not_found_title'));
  ctx.el.append(
    h('p', {}, t('error.not_found')),
    h('p', {}, h('a', { href: href('/') }, t('error.go_home'))),
  );
}

// A view that failed: what happened, in words, and a way on.
export async function errorView(ctx, e) {
  let text = t('error.generic');
  if (e?.status === 0) text = t('error.network');
  else if (e?.status === 503) text = t('error.suspended');
  ctx.setTitle(t('error.title'));
  ctx.el.append(
    h('p', { class: 'notice notice--error', role: 'alert' }, text),
    h('p', {}, h('button', { type: 'button', class: 'button', onclick: () => ctx.app.render() }, t('common.retry')),
      ' ', h('a', { href: href('/') }, t('error.go_home'))),
  );
}

export { forbidden } from './view_common.js';
