// Profiles: editing my own (title, phone, about, skills, photo) with its strength (how complete it
// is, and what is missing, in words), and a colleague's profile as search finds them.
import { api, upload } from './api.js';
import { fill, h } from './dom.js';
import { errorSummary, errorText, field } from './forms.js';
import { t } from './i18n.js';
import { href } from './router.js';

// The API's limit for a profile photo (900 KiB): refused here before sending.
const maxPhotoBytes = 900 * 1024;
const photoTypes = ['image/jpeg', 'image/png', 'image/webp'];

// "Profilstyrka 50 %" as a meter with the missing parts listed as links to their fields.
export function strengthBlock(strength, { linkFields = false } = {}) {
  const score = strength?.score ?? 0;
  const missing = strength?.missing ?? [];
  const meterId = 'strength-meter';
  return h('div', { class: 'strength', id: 'profile-strength' },
    h('p', { class: 'strength__label' },
      h('label', { for: meterId }, t('profile.strength')), ' ',
      h('strong', { id: 'strength-score' }, t('profile.percent', { n: score }))),
    h('meter', { id: meterId, min: '0', max: '100', low: '50', high: '99', optimum: '100', value: String(score) },
      t('profile.percent', { n: score })),
    missing.length
      ? h('div', {},
          h('p', { class: 'strength__hint' }, t('profile.missing_intro')),
          h('ul', { class: 'strength__missing' }, missing.map((m) => h('li', {},
            linkFields && m !== 'unit' ? h('a', { href: `#profile-${m}`, onclick: (e) => {
              e.preventDefault();
              document.getElementById(`profile-${m}`)?.focus();
            } }, t(`profile.missing_${m}`)) : t(`profile.missing_${m}`)))))
      : h('p', { class: 'strength__hint' }, t('profile.complete')));
}

function photo(p, size = 'large') {
  return p.photo_url
    ? h('img', { class: `avatar avatar--${size}`, src: `${p.photo_url}?v=${Date.now()}`, alt: t('profile.photo_of', { name: p.name }) })
    : h('span', { class: `avatar avatar--${size} avatar--none`, 'aria-hidden': 'true' },
        p.name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join(''));
}

export async function profileView(ctx) {
  ctx.setTitle(t('profile.title'));
  const p = await api('GET', '/me/profile');
  const flash = ctx.takeFlash();
  const errors = errorSummary('profile.error_title');
  const titleIn = h('input', { id: 'profile-title', type: 'text', maxlength: '200', value: p.title ?? '' });
  const phone = h('input', { id: 'profile-phone', type: 'tel', autocomplete: 'tel', maxlength: '40', value: p.phone ?? '' });
  const about = h('textarea', { id: 'profile-about', rows: '4', maxlength: '4000' });
  about.value = p.about ?? '';
  const skills = h('input', { id: 'profile-skills', type: 'text', maxlength: '1000', value: p.skills ?? '' });
  const submit = h('button', { type: 'submit', class: 'button', id: 'save-profile' }, t('profile.save'));
  const form = h('form', { class: 'editor-form', novalidate: true, 'aria-labelledby': 'profile-form-heading' },
    h('h2', { id: 'profile-form-heading' }, t('profile.details')),
    errors.el,
    field(t('profile.field_title'), titleIn, t('profile.title_hint')),
    field(t('profile.field_phone'), phone),
    field(t('profile.field_about'), about),
    field(t('profile.field_skills'), skills, t('profile.skills_hint')),
    h('div', { class: 'button-row' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await api('PATCH', '/me/profile', {
        title: titleIn.value.trim(), phone: phone.value.trim(), about: about.value.trim(), skills: skills.value.trim(),
      });
      ctx.app.flash(t('profile.saved'));
      await ctx.app.render();
    } catch (err) {
      submit.disabled = false;
      const code = `${err.code} ${err.message}`;
      const target = /phone/.test(code) ? phone : /title/.test(code) ? titleIn : /about/.test(code) ? about : /skills/.test(code) ? skills : null;
      errors.show([{ text: err.code === 'invalid_phone' ? t('profile.phone_invalid') : errorText(err), target }]);
    }
  });

  // The photo: chosen with a file input, checked for type and size, sent as the raw body.
  const file = h('input', { id: 'profile-photo', type: 'file', accept: photoTypes.join(',') });
  const photoProblem = h('p', { class: 'notice notice--error', role: 'alert', hidden: true });
  const photoButton = h('button', { type: 'button', class: 'button button--secondary', id: 'upload-photo' }, t('profile.upload_photo'));
  photoButton.addEventListener('click', async () => {
    const f = file.files?.[0];
    const fail = (text) => {
      photoProblem.textContent = text;
      photoProblem.hidden = false;
      file.setAttribute('aria-invalid', 'true');
      file.focus();
    };
    if (!f) return fail(t('profile.choose_photo'));
    if (!photoTypes.includes(f.type)) return fail(t('profile.photo_type'));
    if (f.size > maxPhotoBytes) return fail(t('profile.photo_size'));
    photoButton.disabled = true;
    try {
      await upload('PUT', '/me/photo', f, f.type);
      ctx.app.flash(t('profile.photo_saved'));
      await ctx.app.render();
    } catch (err) {
      photoButton.disabled = false;
      fail(err.code === 'photo_too_large' ? t('profile.photo_size')
        : ['unsupported_image', 'unsupported_media_type'].includes(err.code) ? t('profile.photo_type') : errorText(err));
    }
    return undefined;
  });

  fill(ctx.el,
    flash ? h('p', { class: 'notice notice--success', role: 'status' }, flash) : null,
    h('div', { class: 'home-layout' },
      h('div', {},
        h('section', { class: 'card profile-head', 'aria-labelledby': 'profile-name' },
          photo(p),
          h('div', {},
            h('h2', { id: 'profile-name' }, p.name),
            h('p', { class: 'muted' }, p.email),
            p.units?.length ? h('p', {}, `${t('home.your_units')}: ${p.units.join(', ')}`) : null)),
        form),
      h('aside', { class: 'home-aside' },
        h('section', { class: 'card', 'aria-labelledby': 'strength-heading' },
          h('h2', { id: 'strength-heading' }, t('profile.strength_heading')),
          strengthBlock(p.profile_strength, { linkFields: true })),
        h('section', { class: 'card', 'aria-labelledby': 'photo-heading' },
          h('h2', { id: 'photo-heading' }, t('profile.photo')),
          field(t('profile.field_photo'), file, t('profile.photo_hint')),
          photoProblem,
          photoButton))));
}

export async function personView(ctx) {
  const id = ctx.params.id;
  let p;
  try {
    if (!/^\d+$/.test(id)) throw Object.assign(new Error('not found'), { status: 404 });
    p = await api('GET', `/people/${id}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    ctx.setTitle(t('profile.not_found_title'));
    fill(ctx.el, h('p', {}, t('profile.not_found')), h('p', {}, h('a', { href: href('/search?type=person') }, t('profile.back'))));
    return;
  }
  ctx.setTitle(p.name);
  const facts = [
    ['profile.field_title', p.title],
    ['home.your_units', (p.units ?? []).join(', ')],
    ['profile.email', p.email ? h('a', { href: `mailto:${p.email}` }, p.email) : ''],
    ['profile.field_phone', p.phone ? h('a', { href: `tel:${p.phone.replace(/[^\d+]/g, '')}` }, p.phone) : ''],
    ['profile.field_skills', p.skills],
  ].filter(([, v]) => v);
  fill(ctx.el,
    h('section', { class: 'card profile-head', 'aria-label': p.name },
      photo(p),
      h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, t(k)), h('dd', {}, v)]))),
    p.about ? h('section', { 'aria-labelledby': 'about-person' },
      h('h2', { id: 'about-person' }, t('profile.field_about')), h('p', { class: 'prose' }, p.about)) : null,
    String(p.id) === String(ctx.me.user.id)
      ? h('p', {}, h('a', { class: 'button', href: href('/profile') }, t('profile.edit_mine')))
      : null);
}
