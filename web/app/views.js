// The routing table of the UI: path pattern -> view. A new screen registers here and adds an
// entry in nav.js. Routes are tried in order: fixed paths (/pages/new) before patterns.
import {
  adminAuditView, adminHomeView, adminPartnersView, adminUnitsView, adminUsersView,
  adminUnitView, adminUserView,
} from './view_admin.js';
import { articleView } from './view_article.js';
import { documentView, documentsView } from './view_documents.js';
import { editorView } from './view_editor.js';
import { groupView, groupsView } from './view_groups.js';
import { guideEditorView, guideView, guidesView } from './view_guides.js';
import { homeView } from './view_home.js';
import { pageEditorView, pageView, pagesReviewView, pagesView } from './view_pages.js';
import { personView, profileView } from './view_profile.js';
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
route('/pages', pagesView);
route('/pages/new', pageEditorView);
route('/pages/review', pagesReviewView);
route('/pages/:id', pageView);
route('/pages/:id/edit', pageEditorView);
route('/documents', documentsView);
route('/documents/:id', documentView);
route('/guides', guidesView);
route('/guides/new', guideEditorView);
route('/guides/:id', guideView);
route('/guides/:id/edit', guideEditorView);
route('/profile', profileView);
route('/people/:id', personView);
route('/admin', adminHomeView);
route('/admin/users', adminUsersView);
route('/admin/units', adminUnitsView);
route('/admin/units/:id', adminUnitView);
route('/admin/users/:id', adminUserView);
route('/admin/partners', adminPartnersView);
route('/admin/audit', adminAuditView);

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
