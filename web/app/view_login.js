// The sign-in form, naming the municipality. Shown whenever nobody is signed in (any route: after
// signing in, the route asked for is rendered). Also explains where cross-employed staff sign in.
// When the municipality signs its staff in with its own identity provider (OpenID Connect), a
// "Logga in med ..." link comes first; the password form stays for local accounts.
import { api } from './api.js';
import { h, uid } from './dom.js';
import { t } from './i18n.js';

// GET /auth/providers: {password, oidc: null | {label, start_url}}. A server without the
// endpoint (404) or an unreachable one means password only.
async function providers() {
  try {
    return await api('GET', '/auth/providers');
  } catch {
    return { password: true, oidc: null };
  }
}

// The identity provider's sign-in link; it comes back to the page the person asked for.
function oidcLink(oidc) {
  const url = new URL(oidc.start_url, location.href);
  url.searchParams.set('return_to', location.pathname + location.hash);
  return h('div', { class: 'sso' },
    h('a', { class: 'button button--wide', id: 'oidc-login', href: url.pathname + url.search },
      t('login.with', { label: oidc.label })),
    h('p', { class: 'sso__or muted' }, h('span', {}, t('login.or_password'))));
}

export async function loginView(ctx) {
  const tenant = ctx.app.tenantName();
  const { oidc, password: passwordAllowed = true } = await providers();
  ctx.setTitle(tenant);
  const flash = ctx.takeFlash();
  const errorBox = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const emailId = uid('email');
  const passwordId = uid('password');
  const email = h('input', {
    id: emailId, name: 'email', type: 'email', autocomplete: 'username', required: true,
    spellcheck: 'false', autocapitalize: 'none',
  });
  const password = h('input', {
    id: passwordId, name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const submit = h('button', { type: 'submit', class: 'button button--wide' }, t('login.submit'));

  function showError(text) {
    errorBox.replaceChildren(h('h3', { class: 'error-summary__title' }, t('login.error_title')), h('p', {}, text));
    errorBox.hidden = false;
    for (const input of [email, password]) input.setAttribute('aria-invalid', 'true');
    errorBox.focus();
  }

  const form = h(
    'form',
    { class: 'card login-card', novalidate: true, 'aria-labelledby': 'login-heading' },
    h('h2', { id: 'login-heading' }, t('login.heading')),
    h('p', { class: 'muted' }, t(oidc?.start_url ? 'login.intro_sso' : 'login.intro', { tenant })),
    flash ? h('p', { class: 'notice notice--info', role: 'status' }, flash) : null,
    ctx.notMember
      ? h('div', { class: 'notice notice--warning' },
          h('h3', {}, t('error.not_member_title')),
          h('p', {}, t('error.not_member', { tenant })))
      : null,
    oidc?.start_url ? oidcLink(oidc) : null,
    errorBox,
    passwordAllowed !== false || !oidc ? [
      h('div', { class: 'field' }, h('label', { for: emailId }, t('login.email')), email),
      h('div', { class: 'field' }, h('label', { for: passwordId }, t('login.password')), password),
      submit] : null,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!email.value.trim() || !password.value) {
      showError(t('login.missing'));
      return;
    }
    submit.disabled = true;
    submit.textContent = t('login.busy');
    try {
      await api('POST', '/auth/login', { email: email.value.trim(), password: password.value });
      password.value = '';
      await ctx.app.signedIn();
    } catch (err) {
      submit.disabled = false;
      submit.textContent = t('login.submit');
      if (err.code === 'too_many_attempts') showError(t('login.throttled'));
      else if (err.status === 401 || err.status === 400) showError(t('login.failed'));
      else if (err.status === 0) showError(t('error.network'));
      else showError(t('error.generic'));
    }
  });

  ctx.el.append(
    h('div', { class: 'login-layout' },
      form,
      h('section', { class: 'login-aside', 'aria-labelledby': 'cross-heading' },
        h('h2', { id: 'cross-heading' }, t('login.cross_title')),
        h('p', {}, t('login.cross_hint')))),
  );
  ctx.afterRender = () => {
    if (!document.activeElement || document.activeElement === document.body)
      (email.isConnected ? email : document.getElementById('oidc-login'))?.focus();
  };
}
