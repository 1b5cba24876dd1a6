// Notifications (grouped per thread, with "mark all read"), the idea box (submit, vote) and the
// start page's "Mina gruppers aktivitet" (GET /feed).
import { api } from './api.js';
import { announce, h, fill } from './dom.js';
import { timeElement } from './format.js';
import { t } from './i18n.js';
import { href } from './router.js';
import { plainText } from './view_groups.js';

// Feed items on the start page: a glance, not the whole feed.
const feedSize = 5;
// Notifications listed at once (the API groups them per thread, so this is many events).
const notificationLimit = 50;
// Excerpts are cut to a line or two.
const excerptChars = 140;

function excerpt(html) {
  const text = plainText(html);
  return text.length > excerptChars ? `${text.slice(0, excerptChars - 1)}…` : text;
}

function errorText(e) {
  return e.status === 0 ? t('error.network') : e.message || t('error.generic');
}

// The start page's card with the latest posts and comments in the person's groups.
export async function feedCard() {
  let page;
  try {
    page = await api('GET', `/feed?limit=${feedSize}`);
  } catch (e) {
    if (e.status === 0) throw e;
    return null;
  }
  const items = page.items ?? [];
  return h('section', { class: 'card feed-card', 'aria-labelledby': 'feed-heading' },
    h('h2', { id: 'feed-heading' }, t('feed.title')),
    items.length
      ? h('ul', { class: 'feed-list', id: 'feed-list' }, items.map((p) => h('li', {},
          h('p', { class: 'feed-list__who' },
            t(p.type === 'comment' ? 'feed.commented' : 'feed.posted', { name: p.author?.name ?? '' }), ' ',
            h('a', { href: href(`/groups/${p.group?.id ?? p.group_id}`) }, p.group?.name ?? '')),
          h('p', { class: 'feed-list__text' }, excerpt(p.body)),
          h('p', { class: 'feed-list__time muted' }, timeElement(p.created_at)))))
      : h('p', { class: 'muted' }, t('feed.empty')),
    h('p', {}, h('a', { href: href('/groups') }, t('feed.all_groups'))));
}

export async function notificationsView(ctx) {
  ctx.setTitle(t('notifications.title'));
  const r = await api('GET', `/notifications?limit=${notificationLimit}`);
  const items = r.items ?? [];
  const markAll = h('button', { type: 'button', class: 'button button--secondary', id: 'mark-read' },
    t('notifications.mark_all'));
  markAll.addEventListener('click', async () => {
    markAll.disabled = true;
    try {
      await api('POST', '/notifications/read', {});
      ctx.app.flash(t('notifications.marked'));
      await ctx.app.render();
      ctx.app.refreshBadge?.();
    } catch (e) {
      markAll.disabled = false;
      announce(errorText(e));
    }
  });
  fill(ctx.el, 
    h('div', { class: 'section-head' },
      h('p', { class: 'lead', id: 'unread-summary' }, r.unread_count
        ? t('notifications.unread', { n: r.unread_count }) : t('notifications.none_unread')),
      r.unread_count ? markAll : null),
    items.length
      ? h('ul', { class: 'news-list', id: 'notification-list' }, items.map((n) => h('li', { class: `news-card notification${n.unread ? ' notification--unread' : ''}` },
          n.unread ? h('p', { class: 'status status--new' }, t('notifications.new')) : null,
          h('p', { class: 'notification__text' }, n.group
            ? h('a', { href: href(`/groups/${n.group.id}`) }, n.text)
            : n.text),
          n.excerpt && !n.text.includes(n.excerpt) ? h('p', { class: 'muted' }, `”${n.excerpt}”`) : null,
          h('p', { class: 'news-card__meta' }, timeElement(n.latest_at), n.group ? ` · ${n.group.name}` : ''))))
      : h('p', { class: 'muted' }, t('notifications.empty')),
  );
}

function ideaCard(idea) {
  const headingId = `idea-${idea.id}`;
  const vote = h('button', { type: 'button', class: 'button button--secondary vote-button', 'aria-describedby': headingId });
  const votes = h('p', { class: 'idea__votes' });
  const render = () => {
    vote.textContent = idea.voted ? t('ideas.unvote') : t('ideas.vote');
    vote.setAttribute('aria-pressed', String(Boolean(idea.voted)));
    votes.replaceChildren(h('strong', {}, String(idea.votes)), ` ${t(idea.votes === 1 ? 'ideas.votes_one' : 'ideas.votes')}`);
  };
  render();
  vote.addEventListener('click', async () => {
    vote.disabled = true;
    try {
      const u = await api(idea.voted ? 'DELETE' : 'POST', `/ideas/${idea.id}/vote`);
      Object.assign(idea, u);
      render();
      announce(idea.voted ? t('ideas.voted') : t('ideas.unvoted'));
    } finally {
      vote.disabled = false;
    }
  });
  return h('li', { class: 'news-card idea' },
    h('article', { 'aria-labelledby': headingId, class: 'idea__body' },
      h('div', { class: 'idea__score' }, votes, vote),
      h('div', {},
        h('h3', { class: 'news-card__title', id: headingId }, idea.title),
        h('p', { class: 'news-card__meta' }, t('news.by', { name: idea.author?.name ?? '' }), ' · ', timeElement(idea.created_at),
          ' · ', t('ideas.comment_count', { n: idea.comment_count ?? 0 })),
        h('p', { class: 'status-line' }, h('span', { class: `status status--${idea.status}` }, t(`ideas.status_${idea.status}`))),
        idea.body ? h('p', {}, idea.body) : null,
        idea.reply ? h('p', { class: 'notice notice--info' }, h('strong', {}, `${t('ideas.reply')}: `), idea.reply) : null)));
}

export async function ideasView(ctx) {
  ctx.setTitle(t('ideas.title'));
  const sort = ctx.query.get('sort') === 'new' ? 'new' : 'top';
  const r = await api('GET', `/ideas?sort=${sort}`);
  const items = r.items ?? [];
  const title = h('input', { id: 'idea-title', type: 'text', maxlength: '200', required: true });
  const body = h('textarea', { id: 'idea-body', rows: '3' });
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'idea-form-heading' },
    h('h2', { id: 'idea-form-heading' }, t('ideas.submit_heading')),
    h('div', { class: 'field' }, h('label', { for: 'idea-title' }, t('ideas.field_title')), title),
    h('div', { class: 'field' }, h('label', { for: 'idea-body' }, t('ideas.field_body')), body),
    problem,
    h('button', { type: 'submit', class: 'button', id: 'submit-idea' }, t('ideas.submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!title.value.trim()) {
      problem.textContent = t('ideas.title_required');
      problem.hidden = false;
      title.setAttribute('aria-invalid', 'true');
      title.focus();
      return;
    }
    try {
      await api('POST', '/ideas', { title: title.value.trim(), body: body.value.trim() });
      ctx.app.flash(t('ideas.submitted'));
      ctx.app.navigate('/ideas?sort=new');
    } catch (err) {
      problem.textContent = errorText(err);
      problem.hidden = false;
    }
  });
  const sorts = ['top', 'new'].map((value) => h('span', { class: 'segmented__item' },
    h('input', { type: 'radio', name: 'idea-sort', id: `sort-${value}`, value, checked: sort === value,
      onchange: () => ctx.app.navigate(value === 'new' ? '/ideas?sort=new' : '/ideas') }),
    h('label', { for: `sort-${value}` }, t(`ideas.sort_${value}`))));
  fill(ctx.el, 
    h('p', { class: 'lead' }, t('ideas.intro')),
    h('div', { class: 'home-layout' },
      h('section', { 'aria-labelledby': 'ideas-heading' },
        h('div', { class: 'section-head' },
          h('h2', { id: 'ideas-heading' }, t('ideas.list')),
          h('fieldset', { class: 'segmented' }, h('legend', { class: 'visually-hidden' }, t('ideas.sort_label')), sorts)),
        items.length ? h('ul', { class: 'news-list', id: 'idea-list' }, items.map(ideaCard))
          : h('p', { class: 'muted' }, t('ideas.empty'))),
      h('aside', { class: 'home-aside' }, form)),
  );
}
