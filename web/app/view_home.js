// "Mitt intranät": the start page. The news meant for me (scope=mine) with a switch to every
// department's news (scope=all), newest first, paged with the API's cursor; beside it who I am
// here and shortcuts to what my roles allow.
import { api } from './api.js';
import { h, announce } from './dom.js';
import { newsTags, timeElement } from './format.js';
import { t } from './i18n.js';
import { visibleNav } from './nav.js';
import { href, replace } from './router.js';
import { feedCard } from './view_social.js';

// News per page: a screenful on a desktop, a few thumbs' worth on a phone.
const pageSize = 10;

function newsCard(n) {
  return h(
    'li',
    { class: 'news-card' },
    h('article', { 'aria-labelledby': `news-${n.id}` },
      h('h3', { class: 'news-card__title', id: `news-${n.id}` },
        h('a', { href: href(`/news/${n.id}`) }, n.title)),
      h('p', { class: 'news-card__meta' },
        timeElement(n.published_at),
        n.author?.name ? ` · ${t('news.by', { name: n.author.name })}` : ''),
      n.summary ? h('p', { class: 'news-card__summary' }, n.summary) : null,
      newsTags(n)),
  );
}

export async function homeView(ctx) {
  const { me } = ctx;
  const tenant = me.tenant.name;
  ctx.setTitle(t('home.title'));
  let scope = ctx.query.get('scope') === 'all' ? 'all' : 'mine';
  let cursor = null;
  let shown = 0;

  const list = h('ul', { class: 'news-list', id: 'news-list', 'aria-live': 'off' });
  const status = h('p', { class: 'muted news-status', id: 'news-status' });
  const more = h('button', { type: 'button', class: 'button button--secondary', id: 'load-more', hidden: true },
    t('home.load_more'));
  const hint = h('p', { class: 'muted scope-hint', id: 'scope-hint' });

  async function load(reset) {
    if (reset) {
      cursor = null;
      shown = 0;
    }
    const params = new URLSearchParams({ scope, limit: String(pageSize) });
    if (cursor) params.set('cursor', cursor);
    more.disabled = true;
    if (!reset) more.textContent = t('home.loading_more');
    const page = await api('GET', `/news?${params}`);
    if (reset) list.replaceChildren();
    const firstNew = page.items.length ? newsCard(page.items[0]) : null;
    page.items.forEach((n, i) => list.append(i === 0 ? firstNew : newsCard(n)));
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    more.textContent = t('home.load_more');
    status.textContent = shown ? t('home.count', { n: shown }) : t('home.empty');
    hint.textContent = scope === 'all' ? t('home.scope_all_hint') : t('home.scope_mine_hint');
    return firstNew;
  }

  more.addEventListener('click', async () => {
    if (!cursor) return;
    const first = await load(false);
    // Keyboard users continue where the new items begin.
    first?.querySelector('a')?.focus();
  });

  const scopeName = 'news-scope';
  const radios = ['mine', 'all'].map((value) => {
    const id = `scope-${value}`;
    const input = h('input', { type: 'radio', name: scopeName, id, value, checked: scope === value });
    input.addEventListener('change', async () => {
      if (!input.checked) return;
      scope = value;
      replace(scope === 'all' ? '/?scope=all' : '/');
      const [, feed] = await Promise.all([load(true), feedCard()]);
      announce(status.textContent);
    });
    return h('span', { class: 'segmented__item' }, input,
      h('label', { for: id }, t(value === 'all' ? 'home.scope_all' : 'home.scope_mine')));
  });

  const [, feed] = await Promise.all([load(true), feedCard()]);

  const shortcuts = visibleNav(me).filter((item) => item.id !== 'home');
  const units = me.user.units ?? [];
  const roles = (me.user.roles ?? []).map((r) => t(`role1.${r}`));

  ctx.el.append(
    h('p', { class: 'lead' }, t('home.greeting', { name: me.user.name.split(' ')[0], tenant })),
    h('div', { class: 'home-layout' },
      h('section', { class: 'home-news', 'aria-labelledby': 'news-heading' },
        h('div', { class: 'section-head' },
          h('h2', { id: 'news-heading' }, t('home.news')),
          h('fieldset', { class: 'segmented', 'aria-describedby': 'scope-hint' },
            h('legend', { class: 'visually-hidden' }, t('home.scope_label')),
            radios)),
        hint,
        list,
        status,
        more),
      h('aside', { class: 'home-aside', 'aria-labelledby': 'about-heading' },
        h('section', { class: 'card' },
          h('h2', { id: 'about-heading' }, t('home.about_you', { tenant })),
          h('dl', { class: 'facts' },
            h('dt', {}, t('home.your_units')),
            h('dd', {}, units.length ? units.join(', ') : t('home.no_units')),
            h('dt', {}, t('home.your_roles')),
            h('dd', {}, roles.join(', ')))),
        feed,
        shortcuts.length
          ? h('section', { class: 'card' },
              h('h2', {}, t('home.shortcuts')),
              h('ul', { class: 'shortcut-list' },
                shortcuts.map((s) => h('li', {}, h('a', { href: href(s.path) }, t(s.label))))))
          : null)),
  );
}
