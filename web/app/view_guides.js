// Step-by-step guides: the list, one guide as a numbered list of steps, and for editors writing,
// editing and deleting guides (steps can be added, removed and moved with buttons, so the order
// is changed from the keyboard too).
import { api, apiUrl } from './api.js';
import { announce, fill, h } from './dom.js';
import { timeElement } from './format.js';
import { confirmDelete, errorSummary, errorText, field } from './forms.js';
import { t } from './i18n.js';
import { isEditor } from './roles.js';
import { href } from './router.js';
import { forbidden } from './view_common.js';
import { pagedList } from './view_documents.js';

// The API's bound on steps per guide.
const maxSteps = 100;

// A step's image: a document id (its content) or a path on this site; anything else is ignored.
function imageUrl(ref) {
  if (!ref) return null;
  if (/^\d+$/.test(ref)) return apiUrl(`/documents/${ref}/content`);
  if (ref.startsWith('/') && !ref.startsWith('//')) return ref;
  return null;
}

function guideRow(g) {
  return h('li', { class: 'news-card' },
    h('h2', { class: 'news-card__title' }, h('a', { href: href(`/guides/${g.id}`) }, g.title)),
    g.summary ? h('p', { class: 'news-card__summary' }, g.summary) : null,
    h('p', { class: 'news-card__meta' },
      g.step_count !== undefined ? `${t('guides.step_count', { n: g.step_count })} · ` : '',
      t('guides.updated'), ' ', timeElement(g.updated_at)));
}

export async function guidesView(ctx) {
  ctx.setTitle(t('guides.title'));
  const content = await pagedList(ctx, 'guides', { listId: 'guide-list', statusId: 'guide-status', row: guideRow });
  fill(ctx.el,
    h('p', { class: 'lead' }, t('guides.intro')),
    isEditor(ctx.me)
      ? h('div', { class: 'button-row' }, h('a', { class: 'button', href: href('/guides/new'), id: 'new-guide' }, t('guides.new')))
      : null,
    content
      ?? h('p', { class: 'notice notice--info', id: 'guides-unavailable' }, t('guides.list_unavailable'), ' ',
          h('a', { href: href('/search?type=guide') }, t('guides.search_instead'))));
}

async function loadGuide(ctx) {
  const id = ctx.params.id;
  try {
    if (!/^\d+$/.test(id)) throw Object.assign(new Error('not found'), { status: 404 });
    return await api('GET', `/guides/${id}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    ctx.setTitle(t('guides.not_found_title'));
    fill(ctx.el, h('p', {}, t('guides.not_found')), h('p', {}, h('a', { href: href('/guides') }, t('guides.back'))));
    return null;
  }
}

export async function guideView(ctx) {
  const g = await loadGuide(ctx);
  if (!g) return;
  ctx.setTitle(g.title);
  const steps = g.steps ?? [];
  let actions = null;
  if (isEditor(ctx.me)) {
    const del = confirmDelete({
      id: 'delete-guide',
      label: t('guides.delete'),
      question: t('guides.delete_confirm', { title: g.title }),
      yesLabel: t('guides.delete_yes'),
      onYes: async () => {
        await api('DELETE', `/guides/${g.id}`);
        ctx.app.flash(t('guides.deleted'));
        ctx.app.navigate('/guides');
      },
    });
    actions = h('div', { class: 'editor-actions' },
      h('div', { class: 'button-row' },
        h('a', { class: 'button', href: href(`/guides/${g.id}/edit`), id: 'edit-guide' }, t('guides.edit')), del.button),
      del.box);
  }
  fill(ctx.el,
    h('p', { class: 'back-link' }, h('a', { href: href('/guides') }, t('guides.back'))),
    h('article', { class: 'article', 'aria-labelledby': 'page-title' },
      h('p', { class: 'article__meta' }, t('guides.updated'), ' ', timeElement(g.updated_at),
        g.author?.name ? ` ${t('news.by', { name: g.author.name })}` : '',
        ` · ${t('guides.step_count', { n: steps.length })}`),
      g.summary ? h('p', { class: 'lead' }, g.summary) : null,
      h('ol', { class: 'guide-steps', id: 'guide-steps' }, steps.map((s, i) => {
        const img = imageUrl(s.image);
        return h('li', { class: 'guide-step' },
          h('h2', { class: 'guide-step__title' }, t('guides.step_of', { n: i + 1, total: steps.length })),
          h('p', { class: 'guide-step__text' }, s.text),
          img ? h('img', { src: img, alt: t('guides.step_image', { n: i + 1 }), loading: 'lazy' }) : null);
      }))),
    actions);
}

export async function guideEditorView(ctx) {
  const editing = ctx.params.id !== undefined;
  ctx.setTitle(t(editing ? 'guides.title_edit' : 'guides.title_new'));
  if (!isEditor(ctx.me)) {
    forbidden(ctx, t('guides.forbidden'));
    return;
  }
  const existing = editing ? await loadGuide(ctx) : null;
  if (editing && !existing) return;
  const title = h('input', { id: 'guide-title', type: 'text', required: true, maxlength: '300', value: existing?.title ?? '' });
  const summary = h('textarea', { id: 'guide-summary', rows: '2', maxlength: '2000' });
  summary.value = existing?.summary ?? '';
  const errors = errorSummary('guides.error_title');
  const stepList = h('ol', { class: 'step-editor', id: 'step-editor' });
  let serial = 0;
  const steps = [];

  function renumber() {
    steps.forEach((s, i) => {
      s.legend.textContent = t('guides.step_n', { n: i + 1 });
      s.up.disabled = i === 0;
      s.down.disabled = i === steps.length - 1;
      s.remove.disabled = steps.length === 1;
      for (const b of [s.up, s.down, s.remove]) b.setAttribute('aria-describedby', s.legend.id);
    });
    stepList.replaceChildren(...steps.map((s) => s.li));
    addButton.disabled = steps.length >= maxSteps;
  }

  function addStep(step = { text: '', image: null }, focus = false) {
    serial += 1;
    const n = serial;
    const text = h('textarea', { id: `step-text-${n}`, rows: '3', required: true });
    text.value = step.text ?? '';
    const image = h('input', { id: `step-image-${n}`, type: 'text', value: step.image ?? '', autocomplete: 'off' });
    const legend = h('legend', { id: `step-legend-${n}` });
    const up = h('button', { type: 'button', class: 'link-button' }, t('guides.move_up'));
    const down = h('button', { type: 'button', class: 'link-button' }, t('guides.move_down'));
    const remove = h('button', { type: 'button', class: 'link-button' }, t('guides.remove_step'));
    const li = h('li', { class: 'step-editor__item' },
      h('fieldset', {}, legend,
        field(t('guides.field_step_text'), text),
        field(t('guides.field_step_image'), image, t('guides.step_image_hint')),
        h('div', { class: 'post__actions' }, up, down, remove)));
    const s = { li, text, image, legend, up, down, remove };
    const move = (delta) => {
      const i = steps.indexOf(s);
      const j = i + delta;
      if (j < 0 || j >= steps.length) return;
      [steps[i], steps[j]] = [steps[j], steps[i]];
      renumber();
      (delta < 0 ? (j === 0 ? down : up) : (j === steps.length - 1 ? up : down)).focus();
      announce(t('guides.moved', { n: j + 1 }));
    };
    up.addEventListener('click', () => move(-1));
    down.addEventListener('click', () => move(1));
    remove.addEventListener('click', () => {
      const i = steps.indexOf(s);
      steps.splice(i, 1);
      renumber();
      steps[Math.max(0, i - 1)]?.text.focus();
      announce(t('guides.removed'));
    });
    steps.push(s);
    renumber();
    if (focus) text.focus();
  }
  const addButton = h('button', { type: 'button', class: 'button button--secondary', id: 'add-step' }, t('guides.add_step'));
  addButton.addEventListener('click', () => addStep(undefined, true));
  for (const s of existing?.steps?.length ? existing.steps : [{ text: '' }]) addStep(s);

  const submit = h('button', { type: 'submit', class: 'button', id: 'save-guide' }, t(editing ? 'guides.save' : 'guides.create'));
  const form = h('form', { class: 'editor-form', novalidate: true },
    errors.el,
    field(t('guides.field_title'), title),
    field(t('guides.field_summary'), summary),
    h('fieldset', { class: 'audience' },
      h('legend', {}, t('guides.steps')),
      h('p', { class: 'field__hint' }, t('guides.steps_hint')),
      stepList,
      addButton),
    h('div', { class: 'button-row' }, submit,
      h('a', { class: 'button button--secondary', href: href(editing ? `/guides/${existing.id}` : '/guides') }, t('editor.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const problems = [];
    if (!title.value.trim()) problems.push({ text: t('guides.title_required'), target: title });
    steps.forEach((s, i) => {
      if (!s.text.value.trim()) problems.push({ text: t('guides.step_required', { n: i + 1 }), target: s.text });
    });
    if (problems.length) {
      errors.show(problems);
      return;
    }
    const payload = {
      title: title.value.trim(),
      summary: summary.value.trim(),
      steps: steps.map((s) => (s.image.value.trim()
        ? { text: s.text.value.trim(), image: s.image.value.trim() }
        : { text: s.text.value.trim() })),
    };
    submit.disabled = true;
    try {
      const saved = editing ? await api('PUT', `/guides/${existing.id}`, payload) : await api('POST', '/guides', payload);
      ctx.app.flash(t(editing ? 'guides.saved' : 'guides.created'));
      ctx.app.navigate(`/guides/${saved.id}`);
    } catch (err) {
      submit.disabled = false;
      errors.show([{ text: errorText(err), target: /title/.test(`${err.code} ${err.message}`) ? title : null }]);
    }
  });
  fill(ctx.el, h('p', { class: 'muted' }, t('guides.editor_intro')), form);
}
