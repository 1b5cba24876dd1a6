// Pieces shared by several views.
import { h } from './dom.js';
import { t } from './i18n.js';
import { href } from './router.js';

// An explanation in place of a screen the person may not use.
export function forbidden(ctx, message) {
  ctx.setTitle(t('error.forbidden_title'));
  ctx.el.append(
    h('p', { class: 'notice' }, message),
    h('p', {}, h('a', { href: href('/') }, t('error.go_home'))),
  );
}
