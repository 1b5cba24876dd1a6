// End-to-end tests of the web front end against the real server (see run.sh): sign-in, the start
// page, targeted news from an editor, the tenant switcher of a cross-employed person, a phone
// viewport, axe-core on every main page, and screenshots of the main pages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, assertNoHorizontalScroll, checkA11y, desktop, launch, login, newPage, origin,
  phone, port, screenshot, waitForTitle,
} from './helpers.mjs';

let run;
before(async () => {
  run = await launch();
});
after(async () => {
  await run?.close();
});

const eksjo = `${origin}/t/eksjo/`;
const stamp = Date.now().toString(36);

describe('shell and assets', () => {
  test('the shell names the municipality, has a strict CSP and is not cached', { timeout: 90_000 }, async () => {
    const res = await fetch(eksjo);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<title>Eksjö kommun – intranät<\/title>/);
    assert.match(html, /<h1 id="page-title" tabindex="-1">Eksjö kommun<\/h1>/);
    assert.equal(
      res.headers.get('content-security-policy'),
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.doesNotMatch(html, /<script>|<style|\sstyle=|https?:\/\//, 'no inline code, no other hosts');
  });

  test('assets are versioned, cached for a year, compressed, and small', { timeout: 90_000 }, async (t) => {
    const html = await (await fetch(eksjo)).text();
    const main = /src="(\/t\/eksjo\/assets\/[0-9a-f]+\/app\/main\.js)"/.exec(html)?.[1];
    assert.ok(main, 'main.js is linked');
    const res = await fetch(`${origin}${main}`, { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/javascript/);
    assert.match(res.headers.get('cache-control'), /max-age=31536000/);
    assert.ok(res.headers.get('etag'));
    const again = await fetch(`${origin}${main}`, { headers: { 'If-None-Match': res.headers.get('etag') } });
    assert.equal(again.status, 304);
    const stale = main.replace(/assets\/[0-9a-f]+\//, 'assets/000000000000/');
    assert.equal((await fetch(`${origin}${stale}`)).status, 404);
    // Everything the start page loads (every module, the stylesheet), gzip-compressed.
    const urls = [...html.matchAll(/(?:href|src)="(\/t\/eksjo\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    let total = 0;
    for (const u of new Set(urls)) {
      const r = await fetch(`${origin}${u}`, { headers: { 'Accept-Encoding': 'gzip' }, decompress: false });
      assert.equal(r.status, 200, u);
      total += Number(r.headers.get('content-length'));
    }
    assert.ok(total > 0 && total < 150 * 1024, `start page JS+CSS is ${total} bytes compressed`);
    t.diagnostic(`start page JS+CSS: ${total} bytes compressed`);
  });
});

describe('signing in and the start page', () => {
  test('a wrong password is refused with a message; the right one opens the start page', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await page.goto(eksjo);
    await waitForTitle(page, 'Eksjö kommun');
    await page.getByLabel('E-postadress').fill('anna@eksjo.se');
    await page.getByLabel('Lösenord').fill('fel-lösenord');
    await page.getByRole('button', { name: 'Logga in' }).click();
    await page.getByRole('alert').getByText('Fel e-postadress eller lösenord.').waitFor();
    assert.equal(await page.getByLabel('Lösenord').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('Lösenord').fill('Samverka-2026');
    await page.getByRole('button', { name: 'Logga in' }).click();
    await waitForTitle(page, 'Mitt intranät');
    assert.equal(await page.title(), 'Mitt intranät – Eksjö kommun');
    await page.getByText('Hej Anna!').waitFor();
    // No secret is kept where scripts can read it.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.doesNotMatch(stored, /eksjo\.[A-Za-z0-9_-]{20,}/);
    const cookies = await context.cookies();
    assert.ok(cookies.find((c) => c.name === 'samverka_session')?.httpOnly, 'session cookie is HttpOnly');
    assertClean(page);
    await context.close();
  });

  test('the start page shows my news, and every department\'s news with the switch', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'anna@eksjo.se');
    const titles = async () => {
      while (await page.locator('#load-more').isVisible()) {
        const before = await page.locator('.news-card').count();
        await page.locator('#load-more').click();
        await page.waitForFunction((n) => document.querySelectorAll('.news-card').length > n, before);
      }
      return page.locator('.news-card__title').allTextContents();
    };
    const mine = await titles();
    assert.ok(mine.includes('Nya rutiner för nyckelhantering i hemtjänsten'), 'news for my unit');
    assert.ok(mine.includes('Välkommen till julfika'), 'news for everyone');
    assert.ok(!mine.includes('Studiedag för skolans personal'), 'not another unit\'s news');
    assert.ok(!mine.includes('Chefsdag om arbetsmiljö'), 'not news for managers');
    await page.getByText('Alla förvaltningar').click();
    await page.waitForFunction(() => location.hash === '#/?scope=all');
    await page.locator('#news-status', { hasText: 'nyheter visas' }).waitFor();
    const all = await titles();
    assert.ok(all.includes('Studiedag för skolans personal'), 'other departments\' news');
    assert.ok(!all.includes('Chefsdag om arbetsmiljö'), 'still not news for managers');
    // Reading one item.
    await page.getByRole('link', { name: 'Studiedag för skolans personal' }).click();
    await waitForTitle(page, 'Studiedag för skolans personal');
    await page.getByText('Målgrupp: Grundskola').waitFor();
    await page.getByText('Fritidshemmen har öppet.').waitFor();
    assertClean(page);
    await context.close();
  });

  test('the language switch changes every string to English and back', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'anna@eksjo.se');
    await page.getByRole('button', { name: 'Change language to English' }).click();
    await waitForTitle(page, 'My intranet');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.getByText('All departments').waitFor();
    await page.getByRole('button', { name: 'Byt språk till svenska' }).click();
    await waitForTitle(page, 'Mitt intranät');
    assert.equal(await page.getAttribute('html', 'lang'), 'sv');
    assertClean(page);
    await context.close();
  });

  test('signing out ends the session', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'lars@eksjo.se');
    await page.locator('#account-menu summary').click();
    await page.getByRole('button', { name: 'Logga ut' }).click();
    await page.getByText('Du är utloggad.').waitFor();
    await page.getByLabel('E-postadress').waitFor();
    const me = await page.evaluate(async () => (await fetch('/t/eksjo/api/v1/me')).status);
    assert.equal(me, 401);
    await context.close();
  });
});

describe('editors publish targeted news', () => {
  const title = `Ny rutin för larm i hemtjänsten ${stamp}`;
  let newsUrl = '';

  test('an editor writes news for one unit with the audience picker', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'redaktor@eksjo.se');
    await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Skriv nyhet' }).click();
    await waitForTitle(page, 'Skriv nyhet');
    // Publishing without a headline is refused in words, tied to the field.
    await page.getByRole('button', { name: 'Publicera' }).click();
    await page.getByRole('alert').getByText('Skriv en rubrik.').waitFor();
    await page.getByLabel('Rubrik').fill(title);
    await page.getByLabel('Ingress (valfri)').fill('Gäller från måndag.');
    await page.getByLabel('Brödtext').fill('Larmen testas varje morgon.\n\n- Kvittera larmet\n- Ring **alltid** tillbaka');
    await page.getByLabel('Filtrera enheter').fill('hemtj');
    await page.getByLabel('Hemtjänst', { exact: true }).check();
    await page.locator('#audience-reach', { hasText: 'personer i Hemtjänst' }).waitFor();
    await page.getByRole('button', { name: 'Publicera' }).click();
    await waitForTitle(page, title);
    await page.getByText('Nyheten är publicerad.').waitFor();
    await page.getByText('Målgrupp: Hemtjänst').waitFor();
    assert.equal(await page.locator('.prose strong').textContent(), 'alltid');
    newsUrl = page.url();
    assertClean(page);
    await context.close();
  });

  test('the employee in that unit sees it on the start page; others do not', { timeout: 90_000 }, async () => {
    assert.ok(newsUrl, 'published in the previous test');
    const anna = await newPage(run.browser);
    await login(anna.page, eksjo, 'anna@eksjo.se');
    await anna.page.getByRole('link', { name: title }).waitFor();
    await anna.context.close();

    const lars = await newPage(run.browser);
    await login(lars.page, eksjo, 'lars@eksjo.se');
    const mine = await lars.page.locator('.news-card__title').allTextContents();
    assert.ok(!mine.includes(title), 'not in the feed of someone in another unit');
    await lars.context.close();

    // Nor in another municipality, even for its editor.
    const savsjo = await newPage(run.browser);
    await login(savsjo.page, `${origin}/t/savsjo/`, 'redaktor@savsjo.se');
    await savsjo.page.getByText('Alla förvaltningar').click();
    await savsjo.page.locator('#news-status', { hasText: 'nyheter visas' }).waitFor();
    assert.ok(!(await savsjo.page.locator('.news-card__title').allTextContents()).includes(title));
    await savsjo.context.close();
  });

  test('the editor edits and then deletes the news item', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'redaktor@eksjo.se');
    await page.goto(newsUrl);
    await waitForTitle(page, title);
    await page.getByRole('link', { name: 'Redigera' }).click();
    await waitForTitle(page, 'Redigera nyhet');
    assert.equal(await page.getByLabel('Hemtjänst', { exact: true }).isChecked(), true);
    assert.match(await page.getByLabel('Brödtext').inputValue(), /- Ring \*\*alltid\*\* tillbaka/);
    await page.getByLabel('Rubrik').fill(`${title} (uppdaterad)`);
    await page.getByLabel('Chefer').check();
    await page.getByRole('button', { name: 'Spara ändringar' }).click();
    await waitForTitle(page, `${title} (uppdaterad)`);
    await page.getByText('Målgrupp: Hemtjänst · Chefer').waitFor();
    await page.getByRole('button', { name: 'Ta bort' }).click();
    await page.getByRole('button', { name: 'Ja, ta bort nyheten' }).click();
    await waitForTitle(page, 'Mitt intranät');
    await page.getByText('Nyheten är borttagen.').waitFor();
    await page.goto(newsUrl);
    await waitForTitle(page, 'Nyheten hittades inte');
    assertClean(page);
    await context.close();
  });
});

describe('cross-employed staff', () => {
  test('switch municipality with one session (prefix addressing)', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'it.samordnare@eksjo.se');
    const nav = page.getByRole('navigation', { name: 'Huvudmeny' });
    assert.equal(await nav.getByRole('link', { name: 'Skriv nyhet' }).count(), 0, 'an employee in Eksjö');
    await page.getByText('Byt kommun').click();
    await page.getByRole('link', { name: 'Sävsjö kommun' }).click();
    await page.waitForURL(`${origin}/t/savsjo/`);
    await waitForTitle(page, 'Mitt intranät');
    assert.equal(await page.locator('#brand-name').textContent(), 'Sävsjö kommun');
    assert.equal(await page.title(), 'Mitt intranät – Sävsjö kommun');
    await nav.getByRole('link', { name: 'Skriv nyhet' }).waitFor(); // an editor in Sävsjö
    await page.getByText('Byt kommun').click();
    await page.getByText('Sävsjö kommun (här är du nu)').waitFor();
    await screenshot(page, 'switcher-desktop');
    assertClean(page);
    await context.close();
  });

  test('switch municipality from a host-addressed page (eksjo.localhost)', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    const host = `http://eksjo.localhost:${port}/`;
    await login(page, host, 'it.samordnare@eksjo.se');
    await page.getByText('Byt kommun').click();
    await page.getByRole('link', { name: 'Vetlanda kommun' }).click();
    // The session cookie belongs to this host, so the switch keeps the host and uses the prefix.
    await page.waitForURL(`http://eksjo.localhost:${port}/t/vetlanda/`);
    await waitForTitle(page, 'Mitt intranät');
    assert.equal(await page.locator('#brand-name').textContent(), 'Vetlanda kommun');
    assertClean(page);
    await context.close();
  });

  test('a person without a membership is told so, not shown the start page', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'lars@eksjo.se');
    await page.goto(`${origin}/t/vetlanda/`);
    await page.getByText('Du är inte medlem här').waitFor();
    await page.getByLabel('E-postadress').waitFor();
    await context.close();
  });
});

describe('every main page: phone size, accessibility, screenshots', () => {
  const pages = [
    { name: 'start', path: '#/', title: 'Mitt intranät' },
    { name: 'article', path: null, title: null },
    { name: 'editor', path: '#/news/new', title: 'Skriv nyhet' },
    { name: 'admin-users', path: '#/admin/users', title: 'Användare' },
    { name: 'admin-units', path: '#/admin/units', title: 'Enheter' },
  ];

  for (const [size, viewport] of [['desktop', desktop], ['phone', phone]]) {
    test(`${size} (${viewport.width}x${viewport.height})`, { timeout: 90_000 }, async () => {
      const { context, page } = await newPage(run.browser, viewport);
      await page.goto(eksjo);
      await waitForTitle(page, 'Eksjö kommun');
      await checkA11y(page, `login (${size})`);
      await assertNoHorizontalScroll(page, `login (${size})`);
      await screenshot(page, `login-${size}`);
      await login(page, eksjo, 'admin@eksjo.se');
      for (const p of pages) {
        if (p.path) {
          await page.goto(`${eksjo}${p.path}`);
          await waitForTitle(page, p.title);
        } else {
          await page.goto(eksjo);
          await waitForTitle(page, 'Mitt intranät');
          await page.locator('.news-card__title a').first().click();
          await page.locator('.article').waitFor();
          await page.locator('#view[aria-busy]').waitFor({ state: 'detached' });
        }
        assert.equal(await page.locator('h1').count(), 1, `${p.name}: one h1`);
        assert.equal(await page.locator('main').count(), 1);
        assert.equal(await page.locator('header').count(), 1);
        await checkA11y(page, `${p.name} (${size})`);
        await assertNoHorizontalScroll(page, `${p.name} (${size})`);
        await screenshot(page, `${p.name}-${size}`);
      }
      if (size === 'phone') {
        // The menu folds behind a button on a phone and opens from the keyboard.
        const toggle = page.getByRole('button', { name: 'Meny' });
        await toggle.focus();
        await page.keyboard.press('Enter');
        assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
        await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Mitt intranät' }).waitFor();
        await screenshot(page, 'menu-phone');
      }
      assertClean(page);
      await context.close();
    });
  }

  test('keyboard: the skip link is first and moves focus to the main content', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'anna@eksjo.se');
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    await context.close();
  });
});

describe('dictionaries', () => {
  test('Swedish and English have the same keys', { timeout: 90_000 }, async () => {
    const sv = (await import('../../web/i18n/sv.js')).default;
    const en = (await import('../../web/i18n/en.js')).default;
    assert.deepEqual(Object.keys(en).sort(), Object.keys(sv).sort());
  });
});
