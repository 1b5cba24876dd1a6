// "Mitt intranät": the start page (GET /start). The news meant for me (scope=mine) with a switch
// to every department's news (scope=all), newest first, shared news with its source, paged with
// the API's cursor; beside it my links and tools, my recent documents, pages I own that are due
// for review, my groups' activity, my profile's strength, who I am here and shortcuts.
import { api } from './api.js';
import { h, announce, uid } from './dom.js';
import { newsTags, timeElement } from './format.js';
import { errorText } from './forms.js';
import { t } from './i18n.js';
import { visibleNav } from './nav.js';
import { href, replace } from './router.js';
import { recentDocumentsCard } from './view_documents.js';
import { feedCard } from './view_social.js';

// The API's limit on links per person.
const maxLinks = 50;

// A link of the person's own: a path on this site or an http(s) address.
function linkHref(url) {
  return /^https?:\/\//i.test(url) || url.startsWith('/') ? url : null;
}

// "Mina länkar och verktyg": the person's links, with adding, moving up and removing.
function linksCard(ctx, links) {
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const list = h('ul', { class: 'link-list', id: 'my-links' });
  const fail = (e) => {
    problem.textContent = e.code === 'invalid_url' ? t('links.invalid_url') : e.code === 'too_many_links' ? t('links.too_many', { n: maxLinks }) : errorText(e);
    problem.hidden = false;
  };
  const render = () => {
    list.replaceChildren(...links.map((l, i) => {
      const nameId = uid('link');
      const up = i > 0 ? h('button', { type: 'button', class: 'link-button', 'aria-describedby': nameId }, t('links.move_up')) : null;
      up?.addEventListener('click', async () => {
        try {
          await api('PATCH', `/me/links/${l.id}`, { position: i });
          [links[i - 1], links[i]] = [links[i], links[i - 1]];
          render();
          list.children[i - 1]?.querySelector('a')?.focus();
          announce(t('links.moved'));
        } catch (e) {
          fail(e);
        }
      });
      const remove = h('button', { type: 'button', class: 'link-button', 'aria-describedby': nameId }, t('links.remove'));
      remove.addEventListener('click', async () => {
        try {
          await api('DELETE', `/me/links/${l.id}`);
          links.splice(i, 1);
          render();
          announce(t('links.removed', { title: l.title }));
          (list.querySelector('a') ?? summary).focus();
        } catch (e) {
          fail(e);
        }
      });
      const target = linkHref(l.url);
      return h('li', { class: 'link-list__item' },
        target ? h('a', { href: target, id: nameId }, l.title) : h('span', { id: nameId }, l.title),
        h('span', { class: 'link-list__actions' }, up, remove));
    }));
    if (!links.length) list.append(h('li', { class: 'muted' }, t('links.empty')));
  };
  render();
  const title = h('input', { id: 'link-title', type: 'text', maxlength: '200', required: true });
  const url = h('input', { id: 'link-url', type: 'text', inputmode: 'url', maxlength: '2000', required: true, spellcheck: 'false', 'aria-describedby': 'link-url-hint' });
  const summary = h('summary', {}, t('links.add'));
  const form = h('form', { class: 'link-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'link-title' }, t('links.field_title')), title),
    h('div', { class: 'field' }, h('label', { for: 'link-url' }, t('links.field_url')),
      h('p', { class: 'field__hint', id: 'link-url-hint' }, t('links.url_hint')), url),
    h('button', { type: 'submit', class: 'button button--secondary', id: 'add-link' }, t('links.save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!title.value.trim() || !url.value.trim()) {
      problem.textContent = t('links.required');
      problem.hidden = false;
      (title.value.trim() ? url : title).focus();
      return;
    }
    try {
      const l = await api('POST', '/me/links', { title: title.value.trim(), url: url.value.trim() });
      links.push(l);
      render();
      title.value = '';
      url.value = '';
      problem.hidden = true;
      announce(t('links.added', { title: l.title }));
      title.focus();
    } catch (err) {
      fail(err);
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'links-heading' },
    h('h2', { id: 'links-heading' }, t('links.title')),
    list,
    problem,
    h('details', { class: 'retarget', id: 'link-adder' }, summary, form));
}

// Pages the person owns that are due for review (only when there are any).
function reviewCard(pages) {
  if (!pages.length) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'review-heading' },
    h('h2', { id: 'review-heading' }, t('pages.review_title')),
    h('ul', { class: 'shortcut-list', id: 'pages-due' }, pages.map((p) => h('li', {},
      h('a', { href: href(`/pages/${p.id}`) }, p.title), ' ',
      h('span', { class: p.overdue ? 'status status--declined' : 'status status--pending' },
        t(p.overdue ? 'pages.overdue' : 'pages.due_soon'))))),
    h('p', {}, h('a', { href: href('/pages/review') }, t('pages.review_all'))));
}

// A nudge to complete the profile, while it is incomplete.
function strengthCard(strength) {
  if (!strength || strength.score >= 100) return null;
  return h('section', { class: 'card', 'aria-labelledby': 'strength-card-heading' },
    h('h2', { id: 'strength-card-heading' }, t('profile.strength_heading')),
    h('p', {}, t('profile.strength_summary', { n: strength.score })),
    h('p', {}, h('a', { href: href('/profile') }, t('profile.complete_link'))));
}

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

  // The first page comes with the rest of the start page (GET /start); more with GET /news.
  let start = null;
  async function load(reset) {
    if (reset) {
      cursor = null;
      shown = 0;
    }
    const params = new URLSearchParams({ scope, limit: String(pageSize) });
    if (cursor) params.set('cursor', cursor);
    more.disabled = true;
    if (!reset) more.textContent = t('home.loading_more');
    let page;
    if (reset) {
      start = await api('GET', `/start?scope=${scope}`);
      page = start.news;
    } else {
      page = await api('GET', `/news?${params}`);
    }
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
      await load(true);
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
        strengthCard(start.profile_strength),
        reviewCard(start.pages_due_for_review ?? []),
        linksCard(ctx, [...(start.links ?? [])]),
        feed,
        recentDocumentsCard(start.recent_documents ?? []),
        shortcuts.length
          ? h('section', { class: 'card' },
              h('h2', {}, t('home.shortcuts')),
              h('ul', { class: 'shortcut-list' },
                shortcuts.map((s) => h('li', {}, h('a', { href: href(s.path) }, t(s.label))))))
          : null)),
  );
}
