// Sharing between partner municipalities (editors): the inbox of offers (accept, re-targeted with
// an audience picker, or decline), the partner catalogue to borrow from, and on an article the
// copy status per partner ("distribution"), offering to more partners and unlinking a copy.
// Partners are the tenant's sharing policies (GET /sharing/policies: one row per partner).
import { api } from './api.js';
import { announce, h, fill } from './dom.js';
import { timeElement } from './format.js';
import { t } from './i18n.js';
import { isEditor, roleNames } from './roles.js';
import { href } from './router.js';
import { forbidden } from './view_common.js';
import { unitTree } from './view_editor.js';

// The partners of this municipality ([{slug, name}]); [] when the API refuses (non-editors).
export async function loadPartners() {
  try {
    const r = await api('GET', '/sharing/policies');
    return (r.items ?? []).map((p) => p.partner);
  } catch (e) {
    if (e.status === 403 || e.status === 404) return [];
    throw e;
  }
}

function errorText(e) {
  return e.status === 0 ? t('error.network') : e.message || t('error.generic');
}

// "Dela med": one checkbox per partner. value() gives the chosen slugs.
export function partnerPicker(partners, prefix, { legend = t('sharing.share_with'), hint = t('sharing.share_with_hint'), skip = new Set() } = {}) {
  const chosen = new Set();
  const items = partners.filter((p) => !skip.has(p.slug)).map((p) => {
    const id = `${prefix}-partner-${p.slug}`;
    const input = h('input', { type: 'checkbox', id, name: 'share_with', value: p.slug });
    input.addEventListener('change', () => (input.checked ? chosen.add(p.slug) : chosen.delete(p.slug)));
    return h('li', { class: 'check' }, input, h('label', { for: id }, p.name));
  });
  const el = h('fieldset', { class: 'audience partner-picker' },
    h('legend', {}, legend),
    h('p', { class: 'field__hint' }, hint),
    items.length ? h('ul', { class: 'check-list check-list--inline' }, items) : h('p', { class: 'muted' }, t('sharing.no_partners')));
  return { el, value: () => partners.filter((p) => chosen.has(p.slug)).map((p) => p.slug), count: items.length };
}

// A compact audience picker (roles and units) for re-targeting a received item.
function audiencePicker(units, prefix) {
  const roles = new Set();
  const chosen = new Set();
  const box = (id, label, set, value, cls = 'check') => {
    const input = h('input', { type: 'checkbox', id, value });
    input.addEventListener('change', () => (input.checked ? set.add(value) : set.delete(value)));
    return h('li', { class: cls, 'data-name': String(value).toLowerCase() }, input, h('label', { for: id }, label));
  };
  const unitItems = units.map((u) => box(`${prefix}-unit-${u.id}`, u.name, chosen, u.name, `check depth-${Math.min(u.depth, 4)}`));
  const filterId = `${prefix}-filter`;
  const filter = h('input', { id: filterId, type: 'search', autocomplete: 'off' });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const li of unitItems) li.hidden = Boolean(q) && !li.dataset.name.includes(q);
  });
  const el = h('details', { class: 'retarget' },
    h('summary', {}, t('sharing.retarget')),
    h('p', { class: 'field__hint' }, t('sharing.retarget_hint')),
    h('fieldset', { class: 'audience__group' },
      h('legend', {}, t('editor.roles')),
      h('ul', { class: 'check-list check-list--inline' }, roleNames.map((r) => box(`${prefix}-role-${r}`, t(`role.${r}`), roles, r)))),
    h('fieldset', { class: 'audience__group' },
      h('legend', {}, t('editor.units')),
      units.length > 8 ? h('div', { class: 'field' }, h('label', { for: filterId }, t('editor.units_filter')), filter) : null,
      h('ul', { class: 'check-list unit-list' }, unitItems)));
  return {
    el,
    value: () => (roles.size || chosen.size
      ? { units: units.filter((u) => chosen.has(u.name)).map((u) => u.name), roles: roleNames.filter((r) => roles.has(r)) }
      : null),
  };
}

// Tabs between the two sharing screens.
function sharingTabs(current) {
  return h('nav', { class: 'tabs', 'aria-label': t('nav.sharing') },
    h('ul', {}, [['/sharing/inbox', 'nav.sharing_inbox'], ['/sharing/catalog', 'nav.catalog']].map(([path, label]) =>
      h('li', {}, h('a', { href: href(path), 'aria-current': path === current ? 'page' : null }, t(label))))));
}

function statusText(item) {
  if (item.status === 'accepted' && !item.linked) return t('sharing.status_unlinked');
  return t(`sharing.status_${item.status}`);
}

function inboxCard(item, units, ctx) {
  const n = item.news ?? {};
  const headingId = `inbox-${item.id}`;
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const li = h('li', { class: 'news-card inbox-item', 'data-status': item.status });
  const body = [
    h('h3', { class: 'news-card__title', id: headingId },
      item.local_news_id ? h('a', { href: href(`/news/${item.local_news_id}`) }, n.title) : n.title),
    h('p', { class: 'news-card__meta' },
      t('sharing.from', { name: item.from?.name ?? item.from?.slug ?? '' }), ' · ',
      t('sharing.received'), ' ', timeElement(item.received_at),
      ' · ', item.via === 'borrow' ? t('sharing.via_borrow') : t('sharing.via_push')),
    h('p', { class: 'status-line' }, h('span', { class: `status status--${item.status}` }, statusText(item))),
    n.summary ? h('p', { class: 'news-card__summary' }, n.summary) : null,
  ];
  if (item.status === 'pending') {
    const picker = audiencePicker(units, `inbox-${item.id}`);
    const accept = h('button', { type: 'button', class: 'button', 'aria-describedby': headingId }, t('sharing.accept'));
    const decline = h('button', { type: 'button', class: 'button button--secondary', 'aria-describedby': headingId }, t('sharing.decline'));
    accept.addEventListener('click', async () => {
      accept.disabled = true;
      decline.disabled = true;
      try {
        const audience = picker.value();
        const r = await api('POST', `/sharing/inbox/${item.id}/accept`, audience ? { audience } : {});
        ctx.app.flash(t('sharing.accepted'));
        ctx.app.navigate(`/news/${r.news.id}`);
      } catch (e) {
        accept.disabled = false;
        decline.disabled = false;
        problem.textContent = errorText(e);
        problem.hidden = false;
      }
    });
    decline.addEventListener('click', async () => {
      accept.disabled = true;
      decline.disabled = true;
      try {
        await api('POST', `/sharing/inbox/${item.id}/decline`);
        announce(t('sharing.declined'));
        ctx.app.flash(t('sharing.declined'));
        ctx.app.render();
      } catch (e) {
        accept.disabled = false;
        decline.disabled = false;
        problem.textContent = errorText(e);
        problem.hidden = false;
      }
    });
    body.push(picker.el, h('div', { class: 'button-row' }, accept, decline), problem);
  }
  li.append(h('article', { 'aria-labelledby': headingId }, body));
  return li;
}

export async function inboxView(ctx) {
  ctx.setTitle(t('sharing.inbox_title'));
  if (!isEditor(ctx.me)) {
    forbidden(ctx, t('sharing.forbidden'));
    return;
  }
  const [inbox, unitsResp] = await Promise.all([api('GET', '/sharing/inbox'), api('GET', '/units')]);
  const units = unitTree(unitsResp.items ?? []);
  const items = inbox.items ?? [];
  const pending = items.filter((i) => i.status === 'pending');
  const done = items.filter((i) => i.status !== 'pending');
  fill(ctx.el,
    sharingTabs('/sharing/inbox'),
    h('p', { class: 'lead' }, t('sharing.inbox_intro')),
    h('section', { 'aria-labelledby': 'pending-heading' },
      h('h2', { id: 'pending-heading' }, t('sharing.pending_heading', { n: pending.length })),
      pending.length
        ? h('ul', { class: 'news-list', id: 'inbox-pending' }, pending.map((i) => inboxCard(i, units, ctx)))
        : h('p', { class: 'muted' }, t('sharing.inbox_empty'))),
    done.length
      ? h('section', { 'aria-labelledby': 'done-heading' },
          h('h2', { id: 'done-heading' }, t('sharing.done_heading')),
          h('ul', { class: 'news-list', id: 'inbox-done' }, done.map((i) => inboxCard(i, units, ctx))))
      : null,
  );
}

export async function catalogView(ctx) {
  ctx.setTitle(t('sharing.catalog_title'));
  if (!isEditor(ctx.me)) {
    forbidden(ctx, t('sharing.forbidden'));
    return;
  }
  const partners = await loadPartners();
  if (!partners.length) {
    fill(ctx.el, sharingTabs('/sharing/catalog'), h('p', { class: 'muted' }, t('sharing.no_partners')));
    return;
  }
  const wanted = ctx.query.get('partner');
  const current = partners.find((p) => p.slug === wanted) ?? partners[0];
  const select = h('select', { id: 'catalog-partner' },
    partners.map((p) => h('option', { value: p.slug, selected: p.slug === current.slug }, p.name)));
  select.addEventListener('change', () => ctx.app.navigate(`/sharing/catalog?partner=${encodeURIComponent(select.value)}`));
  const list = h('ul', { class: 'news-list', id: 'catalog-list' });
  const status = h('p', { class: 'muted', role: 'status' });
  try {
    const cat = await api('GET', `/sharing/partners/${encodeURIComponent(current.slug)}/catalog`);
    for (const n of cat.items ?? []) {
      const headingId = `cat-${n.id}`;
      const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
      const borrow = h('button', { type: 'button', class: 'button', 'aria-describedby': headingId }, t('sharing.borrow'));
      borrow.addEventListener('click', async () => {
        borrow.disabled = true;
        try {
          const copy = await api('POST', '/sharing/borrow', { from: current.slug, news_id: n.id });
          ctx.app.flash(t('sharing.borrowed'));
          ctx.app.navigate(`/news/${copy.id}`);
        } catch (e) {
          borrow.disabled = false;
          problem.textContent = errorText(e);
          problem.hidden = false;
        }
      });
      list.append(h('li', { class: 'news-card' }, h('article', { 'aria-labelledby': headingId },
        h('h3', { class: 'news-card__title', id: headingId }, n.title),
        h('p', { class: 'news-card__meta' }, timeElement(n.published_at),
          n.author?.name ? ` · ${t('news.by', { name: n.author.name })}` : ''),
        n.summary ? h('p', { class: 'news-card__summary' }, n.summary) : null,
        h('div', { class: 'button-row' }, borrow), problem)));
    }
    status.textContent = list.childElementCount ? t('sharing.catalog_count', { n: list.childElementCount }) : t('sharing.catalog_empty');
  } catch (e) {
    if (e.status !== 503 && e.status !== 404) throw e;
    status.textContent = t('sharing.partner_unavailable');
  }
  fill(ctx.el,
    sharingTabs('/sharing/catalog'),
    h('p', { class: 'lead' }, t('sharing.catalog_intro')),
    h('div', { class: 'field field--narrow' }, h('label', { for: 'catalog-partner' }, t('sharing.partner')), select),
    h('h2', {}, t('sharing.catalog_heading', { name: current.name })),
    status,
    list,
  );
}

// On an article, for editors: copy status per partner and "share with more" for an original;
// the link state and "unlink" for a copy received from a partner.
export async function sharingSection(ctx, n) {
  if (!isEditor(ctx.me)) return null;
  const problem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  if (n.source) {
    const inbox = await api('GET', '/sharing/inbox').catch(() => ({ items: [] }));
    const item = (inbox.items ?? []).find((i) => i.local_news_id === n.id);
    const linked = Boolean(item?.linked);
    const section = h('section', { class: 'card sharing-panel', 'aria-labelledby': 'copy-heading' },
      h('h2', { id: 'copy-heading' }, t('sharing.copy_heading')),
      h('p', {}, linked ? t('sharing.copy_linked', { name: n.source.name }) : t('sharing.copy_unlinked', { name: n.source.name })));
    if (linked) {
      const unlink = h('button', { type: 'button', class: 'button button--secondary', id: 'unlink-copy' }, t('sharing.unlink'));
      unlink.addEventListener('click', async () => {
        unlink.disabled = true;
        try {
          await api('POST', `/news/${n.id}/unlink`);
          ctx.app.flash(t('sharing.unlinked'));
          ctx.app.render();
        } catch (e) {
          unlink.disabled = false;
          problem.textContent = errorText(e);
          problem.hidden = false;
        }
      });
      section.append(h('p', { class: 'field__hint' }, t('sharing.unlink_hint')), h('div', { class: 'button-row' }, unlink), problem);
    }
    return section;
  }
  const [dist, partners] = await Promise.all([
    api('GET', `/news/${n.id}/distribution`).catch(() => ({ items: [] })),
    loadPartners(),
  ]);
  const rows = dist.items ?? [];
  const offered = new Set(rows.map((r) => r.partner?.slug));
  const section = h('section', { class: 'card sharing-panel', 'aria-labelledby': 'dist-heading' },
    h('h2', { id: 'dist-heading' }, t('sharing.distribution')));
  if (rows.length) {
    section.append(h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', id: 'distribution' },
      h('caption', { class: 'visually-hidden' }, t('sharing.distribution')),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, t('sharing.partner')),
        h('th', { scope: 'col' }, t('sharing.col_state')),
        h('th', { scope: 'col' }, t('sharing.col_updated')))),
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('td', { 'data-label': t('sharing.partner') }, r.partner?.name ?? r.partner?.slug),
        h('td', { 'data-label': t('sharing.col_state') }, h('span', { class: `status status--${r.state}` }, t(`sharing.state_${r.state}`)),
          r.state === 'failing' && r.last_error ? h('span', { class: 'muted' }, ` (${r.last_error})`) : null),
        h('td', { 'data-label': t('sharing.col_updated') }, r.updated_at ? timeElement(r.updated_at) : '')))))));
  } else {
    section.append(h('p', { class: 'muted' }, t('sharing.not_shared')));
  }
  const picker = partnerPicker(partners, 'more', { legend: t('sharing.share_more'), hint: t('sharing.share_more_hint'), skip: offered });
  if (picker.count) {
    const share = h('button', { type: 'button', class: 'button button--secondary', id: 'share-more' }, t('sharing.share_button'));
    share.addEventListener('click', async () => {
      const partnersChosen = picker.value();
      if (!partnersChosen.length) {
        problem.textContent = t('sharing.choose_partner');
        problem.hidden = false;
        return;
      }
      share.disabled = true;
      try {
        await api('POST', `/news/${n.id}/share`, { partners: partnersChosen });
        ctx.app.flash(t('sharing.shared'));
        ctx.app.render();
      } catch (e) {
        share.disabled = false;
        problem.textContent = errorText(e);
        problem.hidden = false;
      }
    });
    section.append(picker.el, h('div', { class: 'button-row' }, share), problem);
  }
  return section;
}
