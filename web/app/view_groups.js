// Groups (employees): department groups that follow the org tree, open and closed groups; create,
// join and leave; a group's posts with comments and likes. Post bodies are HTML the server has
// sanitised; they are parsed inert, as news bodies are.
import { api, upload } from './api.js';
import { announce, h, fill } from './dom.js';
import { textToHtml } from './body_text.js';
import { attachmentList, timeElement } from './format.js';
import { t } from './i18n.js';
import { href } from './router.js';

// Posts per page: enough for a screenful, bounded for a phone.
const postPageSize = 10;
// Files attached to one post at most (the API takes up to 20 attachments).
const maxPostFiles = 10;

// Titles of attached documents, fetched once per document (posts carry only their ids).
const documentTitles = new Map();

// Replaces "Bilaga N" with the document's title in `el`'s attachment links, as they resolve; a
// document the reader may not see keeps its number.
function fillAttachmentTitles(el) {
  for (const a of el.querySelectorAll('.attachments a[href*="/documents/"]')) {
    const id = /\/documents\/(\d+)/.exec(a.getAttribute('href'))?.[1];
    if (!id) continue;
    if (!documentTitles.has(id)) documentTitles.set(id, api('GET', `/documents/${id}`).then((d) => d.title).catch(() => null));
    documentTitles.get(id).then((title) => {
      if (title) a.textContent = title;
    });
  }
}

export function bodyFragment(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const frag = document.createDocumentFragment();
  frag.append(...doc.body.childNodes);
  return frag;
}

// Plain text of sanitised HTML (for short excerpts).
export function plainText(html) {
  return new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html').body.textContent.trim();
}

function errorText(e) {
  return e.status === 0 ? t('error.network') : e.message || t('error.generic');
}

function kindText(g) {
  return t(`groups.kind_${g.kind}`);
}

function groupItem(g) {
  return h('li', { class: 'group-item' },
    h('a', { href: href(`/groups/${g.id}`), class: 'group-item__name' }, g.name),
    h('span', { class: 'tag' }, kindText(g)),
    g.member ? h('span', { class: 'tag tag--member' }, t('groups.member')) : null,
    g.description ? h('p', { class: 'group-item__desc muted' }, g.description) : null);
}

export async function groupsView(ctx) {
  ctx.setTitle(t('groups.title'));
  const resp = await api('GET', '/groups');
  const groups = resp.items ?? [];
  const mine = groups.filter((g) => g.member);
  const others = groups.filter((g) => !g.member);

  const name = h('input', { id: 'group-name', type: 'text', maxlength: '120', required: true });
  const desc = h('textarea', { id: 'group-desc', rows: '2', maxlength: '2000' });
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const kinds = ['open', 'closed'].map((k) => h('li', { class: 'check' },
    h('input', { type: 'radio', name: 'group-kind', id: `group-kind-${k}`, value: k, checked: k === 'open' }),
    h('label', { for: `group-kind-${k}` }, t(`groups.kind_${k}_long`))));
  const form = h('form', { class: 'card group-form', novalidate: true, 'aria-labelledby': 'create-heading' },
    h('h2', { id: 'create-heading' }, t('groups.create')),
    h('div', { class: 'field' }, h('label', { for: 'group-name' }, t('groups.name')), name),
    h('div', { class: 'field' }, h('label', { for: 'group-desc' }, t('groups.description')), desc),
    h('fieldset', { class: 'field' }, h('legend', {}, t('groups.kind')), h('ul', { class: 'check-list' }, kinds)),
    problem,
    h('button', { type: 'submit', class: 'button', id: 'create-group' }, t('groups.create_button')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) {
      problem.textContent = t('groups.name_required');
      problem.hidden = false;
      name.setAttribute('aria-invalid', 'true');
      name.focus();
      return;
    }
    const kind = form.querySelector('input[name="group-kind"]:checked').value;
    try {
      const g = await api('POST', '/groups', { name: name.value.trim(), kind, description: desc.value.trim() });
      ctx.app.flash(t('groups.created'));
      ctx.app.navigate(`/groups/${g.id}`);
    } catch (err) {
      problem.textContent = errorText(err);
      problem.hidden = false;
    }
  });

  fill(ctx.el, 
    h('p', { class: 'lead' }, t('groups.intro')),
    h('div', { class: 'home-layout' },
      h('div', {},
        h('section', { 'aria-labelledby': 'my-groups' },
          h('h2', { id: 'my-groups' }, t('groups.mine')),
          mine.length ? h('ul', { class: 'group-list', id: 'my-group-list' }, mine.map(groupItem))
            : h('p', { class: 'muted' }, t('groups.mine_empty'))),
        h('section', { 'aria-labelledby': 'other-groups' },
          h('h2', { id: 'other-groups' }, t('groups.others')),
          others.length ? h('ul', { class: 'group-list', id: 'other-group-list' }, others.map(groupItem))
            : h('p', { class: 'muted' }, t('groups.others_empty')))),
      h('aside', { class: 'home-aside' }, form)),
  );
}

function likeButton(item, kind) {
  const btn = h('button', { type: 'button', class: 'link-button like-button', 'aria-pressed': String(Boolean(item.liked)) });
  const render = () => {
    btn.textContent = `${item.liked ? t('groups.liked') : t('groups.like')} (${item.like_count})`;
    btn.setAttribute('aria-pressed', String(Boolean(item.liked)));
  };
  render();
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const updated = await api(item.liked ? 'DELETE' : 'POST', `/${kind}/${item.id}/like`);
      item.liked = updated.liked;
      item.like_count = updated.like_count;
      render();
    } finally {
      btn.disabled = false;
    }
  });
  return btn;
}

function comment(c) {
  return h('li', { class: 'comment' },
    h('p', { class: 'post__meta' }, h('strong', {}, c.author?.name ?? ''), ' · ', timeElement(c.created_at)),
    h('div', { class: 'prose' }, bodyFragment(c.body)),
    likeButton(c, 'comments'));
}

function postCard(p, canWrite) {
  const headingId = `post-${p.id}`;
  const comments = h('ul', { class: 'comment-list' });
  const commentsBox = h('div', { class: 'comments', hidden: true });
  const toggle = h('button', { type: 'button', class: 'link-button', 'aria-expanded': 'false' });
  const renderToggle = () => {
    toggle.textContent = t('groups.comments', { n: p.comment_count ?? 0 });
  };
  renderToggle();
  const textId = `comment-text-${p.id}`;
  const text = h('textarea', { id: textId, rows: '2' });
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const form = h('form', { class: 'comment-form', novalidate: true },
    h('label', { for: textId }, t('groups.write_comment')), text, problem,
    h('button', { type: 'submit', class: 'button button--secondary' }, t('groups.send_comment')));
  let loaded = false;
  async function loadComments() {
    const r = await api('GET', `/posts/${p.id}/comments`);
    comments.replaceChildren(...(r.items ?? []).map(comment));
    loaded = true;
  }
  toggle.addEventListener('click', async () => {
    const open = commentsBox.hidden;
    if (open && !loaded) await loadComments();
    commentsBox.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) text.focus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!text.value.trim()) {
      problem.textContent = t('groups.comment_required');
      problem.hidden = false;
      return;
    }
    try {
      const c = await api('POST', `/posts/${p.id}/comments`, { body: textToHtml(text.value) });
      comments.append(comment(c));
      text.value = '';
      problem.hidden = true;
      p.comment_count = (p.comment_count ?? 0) + 1;
      renderToggle();
      announce(t('groups.comment_sent'));
    } catch (err) {
      problem.textContent = errorText(err);
      problem.hidden = false;
    }
  });
  commentsBox.append(comments, canWrite ? form : null);
  const attachments = attachmentList(p.attachments);
  if (attachments) fillAttachmentTitles(attachments);
  return h('li', { class: 'news-card post' },
    h('article', { 'aria-labelledby': headingId },
      h('h3', { class: 'post__author', id: headingId }, p.author?.name ?? ''),
      h('p', { class: 'post__meta' }, timeElement(p.created_at)),
      h('div', { class: 'prose' }, bodyFragment(p.body)),
      attachments,
      h('div', { class: 'post__actions' }, likeButton(p, 'posts'), toggle),
      commentsBox));
}

export async function groupView(ctx) {
  const id = ctx.params.id;
  let g;
  try {
    if (!/^\d+$/.test(id)) throw Object.assign(new Error('not found'), { status: 404 });
    g = await api('GET', `/groups/${id}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    ctx.setTitle(t('groups.not_found_title'));
    fill(ctx.el, h('p', {}, t('groups.not_found')), h('p', {}, h('a', { href: href('/groups') }, t('groups.back'))));
    return;
  }
  ctx.setTitle(g.name);
  const flash = ctx.takeFlash();
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const list = h('ul', { class: 'news-list post-list', id: 'post-list' });
  const more = h('button', { type: 'button', class: 'button button--secondary', hidden: true }, t('groups.more_posts'));
  let cursor = null;
  async function load() {
    const params = new URLSearchParams({ limit: String(postPageSize) });
    if (cursor) params.set('cursor', cursor);
    const page = await api('GET', `/groups/${g.id}/posts?${params}`);
    for (const p of page.items ?? []) list.append(postCard(p, g.member));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener('click', () => load());
  const canRead = g.member || g.kind !== 'closed';
  if (canRead) await load().catch((e) => { if (e.status !== 404 && e.status !== 403) throw e; });

  let membership = null;
  if (g.kind !== 'department') {
    const btn = h('button', { type: 'button', class: g.member ? 'button button--secondary' : 'button', id: g.member ? 'leave-group' : 'join-group' },
      g.member ? t('groups.leave') : t('groups.join'));
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await api('POST', `/groups/${g.id}/${g.member ? 'leave' : 'join'}`);
        ctx.app.flash(g.member ? t('groups.left') : t('groups.joined'));
        ctx.app.render();
      } catch (e) {
        btn.disabled = false;
        problem.textContent = errorText(e);
        problem.hidden = false;
      }
    });
    membership = btn;
  }

  const empty = h('p', { class: 'muted', id: 'posts-empty', hidden: list.childElementCount > 0 || !canRead }, t('groups.no_posts'));
  let writer = null;
  if (g.member) {
    const text = h('textarea', { id: 'post-text', rows: '3' });
    const files = h('input', { type: 'file', id: 'post-files', multiple: true, 'aria-describedby': 'post-files-hint' });
    const wproblem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
    writer = h('form', { class: 'card post-form', novalidate: true, 'aria-labelledby': 'write-heading' },
      h('h2', { id: 'write-heading' }, t('groups.write_post')),
      h('div', { class: 'field' }, h('label', { for: 'post-text' }, t('groups.post_label')),
        h('p', { class: 'field__hint', id: 'post-hint' }, t('groups.post_hint')), text),
      h('div', { class: 'field' }, h('label', { for: 'post-files' }, t('groups.post_files')),
        h('p', { class: 'field__hint', id: 'post-files-hint' }, t('groups.post_files_hint')), files),
      wproblem,
      h('button', { type: 'submit', class: 'button', id: 'send-post' }, t('groups.send_post')));
    text.setAttribute('aria-describedby', 'post-hint');
    writer.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!text.value.trim()) {
        wproblem.textContent = t('groups.post_required');
        wproblem.hidden = false;
        text.focus();
        return;
      }
      const chosen = [...(files.files ?? [])];
      if (chosen.length > maxPostFiles) {
        wproblem.textContent = t('groups.post_files_too_many', { n: maxPostFiles });
        wproblem.hidden = false;
        files.focus();
        return;
      }
      try {
        // The files go into the group first (readable by whoever can read the group), then the
        // post names them.
        const attachments = [];
        for (const f of chosen) {
          const params = new URLSearchParams({ group: String(g.id), name: f.name });
          const d = await upload('POST', `/documents?${params}`, f, f.type);
          documentTitles.set(String(d.id), Promise.resolve(d.title));
          attachments.push(d.id);
        }
        const body = { body: textToHtml(text.value) };
        if (attachments.length) body.attachments = attachments;
        const p = await api('POST', `/groups/${g.id}/posts`, body);
        list.prepend(postCard(p, true));
        empty.hidden = true;
        text.value = '';
        files.value = '';
        wproblem.hidden = true;
        announce(t('groups.post_sent'));
      } catch (err) {
        wproblem.textContent = errorText(err);
        wproblem.hidden = false;
      }
    });
  }

  fill(ctx.el, 
    h('p', { class: 'back-link' }, h('a', { href: href('/groups') }, t('groups.back'))),
    flash ? h('p', { class: 'notice notice--success', role: 'status' }, flash) : null,
    h('div', { class: 'group-head' },
      h('ul', { class: 'tags' },
        h('li', { class: 'tag' }, kindText(g)),
        g.member_count !== undefined ? h('li', { class: 'tag' }, t('groups.member_count', { n: g.member_count })) : null,
        g.member ? h('li', { class: 'tag tag--member' }, t('groups.member')) : null),
      g.description ? h('p', { class: 'lead' }, g.description) : null,
      membership ? h('div', { class: 'button-row' }, membership) : null,
      problem),
    writer,
    h('section', { 'aria-labelledby': 'posts-heading' },
      h('h2', { id: 'posts-heading' }, t('groups.posts')),
      canRead ? list : null,
      empty,
      canRead && !g.member ? h('p', { class: 'muted' }, t('groups.join_to_post')) : null,
      more),
  );
}
