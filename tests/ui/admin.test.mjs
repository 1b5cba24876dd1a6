// End-to-end tests of the tenant administration screens: an admin edits a person's roles, units,
// job title and active state (a deactivated person is signed out at once), creates, renames,
// moves and deletes units, sees audit actions in words; axe-core and phone size on every new
// screen. Every test puts the seeded data back as it found it: the other UI suites share it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, assertNoHorizontalScroll, checkA11y, desktop, launch, login, newPage, origin,
  phone, screenshot, waitForTitle,
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

// Calls the API from the page, as the signed-in person (cookie and CSRF header).
async function apiCall(page, method, path, body) {
  return page.evaluate(async ({ method, path, body }) => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('samverka_csrf='))?.split('=')[1];
    const r = await fetch(`/t/eksjo/api/v1${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf ?? '' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: r.status === 204 ? null : await r.json() };
  }, { method, path, body });
}

async function personByEmail(page, email) {
  const r = await apiCall(page, 'GET', '/users');
  return r.json.items.find((u) => u.email === email);
}

describe('tenant administration: people', () => {
  test('an admin changes a person\'s roles, units and title, and deactivation signs them out', { timeout: 120_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    const chef = await newPage(run.browser);
    await login(page, eksjo, 'admin@eksjo.se');
    await login(chef.page, eksjo, 'chef@eksjo.se');
    const before = await personByEmail(page, 'chef@eksjo.se');
    const saved = (await apiCall(page, 'GET', `/users/${before.id}`)).json;
    try {
      await page.goto(`${eksjo}#/admin/users`);
      await waitForTitle(page, 'Användare');
      await page.locator('#users-create-hint').waitFor();
      await page.getByLabel('Sök på namn, e-post eller enhet').fill('chef@eksjo');
      await page.getByRole('link', { name: 'Ändra Carl Chef' }).click();
      await waitForTitle(page, 'Carl Chef');
      assert.equal(await page.locator('h1').count(), 1);
      // Employee is always held: shown checked and fixed.
      assert.ok(await page.getByLabel('Medarbetare', { exact: true }).isChecked());
      assert.ok(await page.getByLabel('Medarbetare', { exact: true }).isDisabled());
      await checkA11y(page, 'person editor');
      await page.getByLabel('Redaktör', { exact: true }).check();
      await page.getByLabel('Titel').fill(`Enhetschef ${stamp}`);
      await page.locator('#person-unit-list').getByLabel('Bibliotek', { exact: true }).check();
      // Keyboard: the save button is reachable and works with Enter.
      await page.locator('#person-save').focus();
      await page.keyboard.press('Enter');
      await waitForTitle(page, 'Användare');
      await page.getByText('Ändringarna för Carl Chef är sparade.').waitFor();
      const after = (await apiCall(page, 'GET', `/users/${before.id}`)).json;
      assert.deepEqual(after.roles, ['employee', 'manager', 'editor']);
      assert.ok(after.units.includes('Bibliotek') && after.units.includes('Hemtjänst'));
      assert.equal(after.title, `Enhetschef ${stamp}`);

      // Deactivate: the person's open session ends at once.
      await page.goto(`${eksjo}#/admin/users/${before.id}`);
      await waitForTitle(page, 'Carl Chef');
      await page.getByLabel('Aktiv, kan logga in').uncheck();
      await page.locator('#person-save').click();
      await waitForTitle(page, 'Användare');
      await chef.page.reload();
      await chef.page.getByLabel('E-postadress').waitFor();

      // The audit trail says it in words and keeps the code for filtering.
      await page.goto(`${eksjo}#/admin/audit?action=user.deactivate`);
      await waitForTitle(page, 'Händelselogg');
      const row = page.locator('#audit-table tbody tr').first();
      await row.waitFor();
      assert.match(await row.textContent(), /Person inaktiverad/);
      assert.match(await row.textContent(), /user\.deactivate/);
      assertClean(page);
    } finally {
      // Back as seeded, whatever happened above.
      const r = await apiCall(page, 'PATCH', `/users/${before.id}`,
        { roles: saved.roles, units: saved.units, title: saved.title, active: true });
      assert.equal(r.status, 200);
      await chef.context.close();
      await context.close();
    }
  });

  test('an admin cannot take away their own admin role or deactivate themselves', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'admin@eksjo.se');
    const me = await personByEmail(page, 'admin@eksjo.se');
    await page.goto(`${eksjo}#/admin/users/${me.id}`);
    await waitForTitle(page, 'Agnes Admin');
    assert.ok(await page.getByLabel('Administratör', { exact: true }).isDisabled());
    assert.ok(await page.getByLabel('Aktiv, kan logga in').isDisabled());
    await page.getByText('Du kan inte inaktivera dig själv.').waitFor();
    assertClean(page);
    await context.close();
  });

  test('only admins reach the person and unit editors', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'redaktor@eksjo.se');
    await page.goto(`${eksjo}#/admin/users/1`);
    await waitForTitle(page, 'Du har inte behörighet');
    await page.goto(`${eksjo}#/admin/units/1`);
    await waitForTitle(page, 'Du har inte behörighet');
    const r = await apiCall(page, 'PATCH', '/users/1', { roles: ['admin'] });
    assert.equal(r.status, 403);
    assertClean(page, /status of 403/);
    await context.close();
  });
});

describe('tenant administration: units', () => {
  test('an admin creates, renames, moves and deletes a unit', { timeout: 120_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'admin@eksjo.se');
    const name = `Testenhet ${stamp}`;
    try {
      await page.goto(`${eksjo}#/admin/units`);
      await waitForTitle(page, 'Enheter');
      // An empty name is caught in the form, tied to the field.
      await page.getByRole('button', { name: 'Skapa enheten' }).click();
      await page.locator('.error-summary').getByText('Skriv enhetens namn.').waitFor();
      await page.getByLabel('Namn', { exact: true }).fill(name);
      await page.getByLabel('Ingår i').selectOption('Kultur- och fritidsförvaltningen');
      await page.getByRole('button', { name: 'Skapa enheten' }).click();
      await page.getByText(`Enheten ${name} är skapad.`).waitFor();
      await page.locator('#unit-tree').getByText(name).waitFor();

      // A duplicate name is refused with words.
      await page.getByLabel('Namn', { exact: true }).fill('Hemtjänst');
      await page.getByRole('button', { name: 'Skapa enheten' }).click();
      await page.locator('.error-summary').getByText('Det finns redan en enhet med det namnet.').waitFor();

      await page.getByRole('link', { name: `Ändra enheten ${name}` }).click();
      await waitForTitle(page, `Enheten ${name}`);
      await checkA11y(page, 'unit editor');
      // The unit itself is no choice for its parent (no cycles).
      const own = await page.locator('#unit-parent option').allTextContents();
      assert.ok(!own.some((o) => o.trim() === name));
      await page.getByLabel('Namn', { exact: true }).fill(`${name} B`);
      await page.getByLabel('Ingår i').selectOption('');
      await page.getByRole('button', { name: 'Spara' }).click();
      await waitForTitle(page, 'Enheter');
      await page.getByText(`Enheten ${name} B är sparad.`).waitFor();
      const units = (await apiCall(page, 'GET', '/units')).json.items;
      const made = units.find((u) => u.name === `${name} B`);
      assert.ok(made);
      assert.equal(made.parent_id, null);

      // A unit with people cannot be deleted; the box says why.
      const hem = units.find((u) => u.name === 'Hemtjänst');
      await page.goto(`${eksjo}#/admin/units/${hem.id}`);
      await waitForTitle(page, 'Enheten Hemtjänst');
      await page.getByRole('button', { name: 'Ta bort enheten' }).click();
      await page.getByRole('button', { name: 'Ja, ta bort' }).click();
      await page.getByText('Enheten har personer. Flytta dem till en annan enhet först.').waitFor();

      await page.goto(`${eksjo}#/admin/units/${made.id}`);
      await waitForTitle(page, `Enheten ${name} B`);
      await page.getByRole('button', { name: 'Ta bort enheten' }).click();
      await page.getByRole('button', { name: 'Ja, ta bort' }).click();
      await waitForTitle(page, 'Enheter');
      await page.getByText(`Enheten ${name} B är borttagen.`).waitFor();
      assert.equal(await page.locator('#unit-tree').getByText(`${name} B`).count(), 0);
      assertClean(page, /status of (409|400)/);
    } finally {
      const left = (await apiCall(page, 'GET', '/units')).json.items.filter((u) => u.name.startsWith(name));
      for (const u of left) await apiCall(page, 'DELETE', `/units/${u.id}`);
      await context.close();
    }
  });
});

describe('administration screens: phone size, accessibility, screenshots', () => {
  for (const [size, viewport] of [['desktop', desktop], ['phone', phone]]) {
    test(`${size} (${viewport.width}x${viewport.height})`, { timeout: 90_000 }, async () => {
      const { context, page } = await newPage(run.browser, viewport);
      await login(page, eksjo, 'admin@eksjo.se');
      const anna = await personByEmail(page, 'anna@eksjo.se');
      const hem = (await apiCall(page, 'GET', '/units')).json.items.find((u) => u.name === 'Hemtjänst');
      const screens = [
        { name: 'admin-users-edit', path: '#/admin/users', title: 'Användare' },
        { name: 'admin-person', path: `#/admin/users/${anna.id}`, title: 'Anna Andersson' },
        { name: 'admin-units-edit', path: '#/admin/units', title: 'Enheter' },
        { name: 'admin-unit', path: `#/admin/units/${hem.id}`, title: 'Enheten Hemtjänst' },
        { name: 'admin-audit-words', path: '#/admin/audit', title: 'Händelselogg' },
      ];
      for (const s of screens) {
        await page.goto(`${eksjo}${s.path}`);
        await waitForTitle(page, s.title);
        assert.equal(await page.locator('h1').count(), 1, `${s.name}: one h1`);
        await checkA11y(page, `${s.name} (${size})`);
        await assertNoHorizontalScroll(page, `${s.name} (${size})`);
        await screenshot(page, `${s.name}-${size}`);
      }
      // Focus is visible on the person editor's controls.
      await page.goto(`${eksjo}#/admin/users/${anna.id}`);
      await waitForTitle(page, 'Anna Andersson');
      await page.locator('#person-name').focus();
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, 'none');
      assertClean(page);
      await context.close();
    });
  }
});

describe('group posts: attachments', () => {
  test('a member attaches files to a post and readers see their titles', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'admin@eksjo.se');
    const groups = (await apiCall(page, 'GET', '/groups')).json.items;
    const g = groups.find((x) => x.name === 'Kommunledningsförvaltningen');
    assert.ok(g, 'the admin\'s department group');
    const fileName = `protokoll-${stamp}.txt`;
    let postId = null;
    let docId = null;
    try {
      await page.goto(`${eksjo}#/groups/${g.id}`);
      await waitForTitle(page, g.name);
      await page.getByLabel('Bifoga filer').setInputFiles({ name: fileName, mimeType: 'text/plain', buffer: Buffer.from('Protokoll\n') });
      await page.locator('#post-text').fill(`Protokollet bifogat ${stamp}`);
      await page.locator('#send-post').click();
      const link = page.locator('#post-list .attachments a', { hasText: fileName });
      await link.first().waitFor();
      // After a reload the title comes from the document, not from the upload's answer.
      await page.reload();
      await waitForTitle(page, g.name);
      await page.locator('#post-list .attachments a', { hasText: fileName }).first().waitFor();
      await checkA11y(page, 'group with attachment');
      const posts = (await apiCall(page, 'GET', `/groups/${g.id}/posts`)).json.items;
      const mine = posts.find((p) => p.body.includes(stamp));
      postId = mine?.id;
      docId = mine?.attachments?.[0]?.id ?? mine?.attachments?.[0];
      assert.ok(docId);
      assertClean(page);
    } finally {
      if (postId) await apiCall(page, 'DELETE', `/posts/${postId}`);
      if (docId) await apiCall(page, 'DELETE', `/documents/${docId}`);
      await context.close();
    }
  });
});
