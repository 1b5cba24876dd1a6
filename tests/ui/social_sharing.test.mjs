// End-to-end tests of the sharing and social screens: news shared with a partner and accepted
// there re-targeted (seen by the targeted employee with its source), copy status and unlinking,
// a group post with a comment, a like and the notification badge, the idea box, search with
// type-ahead, and axe-core, phone size and screenshots for every new main page.
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
const savsjo = `${origin}/t/savsjo/`;
const stamp = Date.now().toString(36);

describe('sharing news with a partner', () => {
  const title = `Gemensam vaccinationsdag ${stamp}`;
  let sourceUrl = '';

  test('an editor publishes news shared with Sävsjö ("Dela med")', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'redaktor@eksjo.se');
    await page.goto(`${eksjo}#/news/new`);
    await waitForTitle(page, 'Skriv nyhet');
    await page.getByLabel('Rubrik').fill(title);
    await page.getByLabel('Brödtext').fill('Vaccinationen sker i Eksjö och Sävsjö samma dag.');
    await page.getByRole('group', { name: 'Dela med' }).getByLabel('Sävsjö kommun').check();
    await screenshot(page, 'editor-share-desktop');
    await page.getByRole('button', { name: 'Publicera' }).click();
    await waitForTitle(page, title);
    sourceUrl = page.url();
    // Copy status per partner, in words.
    const row = page.locator('#distribution tbody tr', { hasText: 'Sävsjö kommun' });
    await row.waitFor();
    assert.match(await row.textContent(), /Skickas|Levererad, väntar på beslut/);
    assertClean(page);
    await context.close();
  });

  test('the partner editor accepts it re-targeted to one unit', { timeout: 90_000 }, async () => {
    assert.ok(sourceUrl, 'published in the previous test');
    const { context, page } = await newPage(run.browser);
    await login(page, savsjo, 'redaktor@savsjo.se');
    // Delivery is asynchronous (the relay): look again until the offer is there.
    const item = page.locator('.inbox-item', { hasText: title });
    for (let i = 0; i < 40; i += 1) {
      await page.goto(`${savsjo}#/sharing/inbox?t=${i}`);
      await waitForTitle(page, 'Delat med oss');
      if (await item.count()) break;
      await page.waitForTimeout(250);
    }
    await item.getByText('Från Eksjö kommun').waitFor();
    await item.getByText('Väntar på beslut').waitFor();
    await checkA11y(page, 'sharing inbox');
    await item.getByText('Välj målgrupp här (valfritt)').click();
    await item.getByLabel('Hemtjänst', { exact: true }).check();
    await screenshot(page, 'sharing-inbox-pending-desktop');
    await item.getByRole('button', { name: 'Publicera hos oss' }).click();
    await waitForTitle(page, title);
    await page.getByText('Nyheten är publicerad hos er.').waitFor();
    await page.getByText('Delad från Eksjö kommun').waitFor();
    await page.getByText('Målgrupp: Hemtjänst').waitFor();
    await page.getByText('Kopia av en nyhet från Eksjö kommun. Ändringar i originalet kommer automatiskt hit.').waitFor();
    assertClean(page);
    await context.close();
  });

  test('the targeted employee there sees it with its source; another unit does not', { timeout: 90_000 }, async () => {
    const anna = await newPage(run.browser);
    await login(anna.page, savsjo, 'anna@savsjo.se');
    const card = anna.page.locator('.news-card', { hasText: title });
    await card.waitFor();
    await card.getByText('Delad från Eksjö kommun').waitFor();
    await screenshot(anna.page, 'start-shared-desktop');
    assertClean(anna.page);
    await anna.context.close();

    const lars = await newPage(run.browser);
    await login(lars.page, savsjo, 'lars@savsjo.se');
    assert.ok(!(await lars.page.locator('.news-card__title').allTextContents()).includes(title));
    await lars.context.close();
  });

  test('the publisher sees the copy accepted; the partner unlinks its copy', { timeout: 90_000 }, async () => {
    const src = await newPage(run.browser);
    await login(src.page, eksjo, 'redaktor@eksjo.se');
    await src.page.goto(sourceUrl);
    await waitForTitle(src.page, title);
    await src.page.locator('#distribution tbody tr', { hasText: 'Publicerad' }).waitFor();
    await checkA11y(src.page, 'article with distribution');
    await screenshot(src.page, 'article-distribution-desktop');
    await src.context.close();

    const { context, page } = await newPage(run.browser);
    await login(page, savsjo, 'redaktor@savsjo.se');
    await page.goto(`${savsjo}#/sharing/inbox`);
    await waitForTitle(page, 'Delat med oss');
    await page.locator('#inbox-done').getByRole('link', { name: title }).click();
    await waitForTitle(page, title);
    await page.getByRole('button', { name: 'Koppla loss kopian' }).click();
    await page.getByText('Kopian är loss-kopplad från originalet.').waitFor();
    await page.getByText('Den följer inte längre originalet.', { exact: false }).waitFor();
    assertClean(page);
    await context.close();
  });
});

describe('groups, feed, notifications and ideas', () => {
  const group = `Bokcirkeln ${stamp}`;
  const post = `Nästa träff läser vi Kallocain ${stamp}`;

  test('an employee creates a group and posts; a colleague joins, comments and likes', { timeout: 90_000 }, async () => {
    const anna = await newPage(run.browser);
    await login(anna.page, eksjo, 'anna@eksjo.se');
    await anna.page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Grupper' }).click();
    await waitForTitle(anna.page, 'Grupper');
    await anna.page.getByRole('button', { name: 'Skapa gruppen' }).click();
    await anna.page.getByRole('alert').getByText('Skriv ett namn på gruppen.').waitFor();
    await anna.page.getByLabel('Gruppens namn').fill(group);
    await anna.page.getByLabel('Beskrivning (valfri)').fill('Vi läser en bok i månaden.');
    await anna.page.getByRole('button', { name: 'Skapa gruppen' }).click();
    await waitForTitle(anna.page, group);
    await anna.page.getByText('Gruppen är skapad.').waitFor();
    await anna.page.getByLabel('Ditt inlägg').fill(post);
    await anna.page.getByRole('button', { name: 'Publicera inlägget' }).click();
    await anna.page.locator('.post', { hasText: post }).waitFor();
    assertClean(anna.page);

    const lars = await newPage(run.browser);
    await login(lars.page, eksjo, 'lars@eksjo.se');
    await lars.page.goto(`${eksjo}#/groups`);
    await waitForTitle(lars.page, 'Grupper');
    await lars.page.locator('#other-group-list').getByRole('link', { name: group }).click();
    await waitForTitle(lars.page, group);
    await lars.page.getByRole('button', { name: 'Gå med i gruppen' }).click();
    await lars.page.getByText('Du är nu medlem i gruppen.').waitFor();
    const card = lars.page.locator('.post', { hasText: post });
    await card.getByRole('button', { name: /^Gilla/ }).click();
    await card.getByRole('button', { name: /Gillad \(1\)/ }).waitFor();
    await card.getByRole('button', { name: 'Kommentarer (0)' }).click();
    await card.getByLabel('Skriv en kommentar').fill('Bra val, jag kommer!');
    await card.getByRole('button', { name: 'Skicka kommentar' }).click();
    await card.locator('.comment', { hasText: 'Bra val, jag kommer!' }).waitFor();
    await card.getByRole('button', { name: 'Kommentarer (1)' }).waitFor();
    await checkA11y(lars.page, 'group with post and comment');
    await screenshot(lars.page, 'group-post-desktop');
    assertClean(lars.page);
    await lars.context.close();

    // The author is told: an unread badge in the header, the notification, the feed.
    await anna.page.goto(eksjo);
    await waitForTitle(anna.page, 'Mitt intranät');
    await anna.page.locator('#notif-badge:not([hidden])').waitFor();
    const feed = anna.page.locator('#feed-list');
    await feed.getByText('Bra val, jag kommer!').waitFor();
    await feed.getByText(/kommenterade i/).first().waitFor();
    await screenshot(anna.page, 'start-feed-desktop');
    await anna.page.locator('#notif-link').click();
    await waitForTitle(anna.page, 'Notiser');
    await anna.page.locator('#notification-list .notification--unread').first().waitFor();
    await checkA11y(anna.page, 'notifications');
    await screenshot(anna.page, 'notifications-unread-desktop');
    await anna.page.getByRole('button', { name: 'Markera alla som lästa' }).click();
    await anna.page.getByText('Du har inga olästa notiser.').waitFor();
    await anna.page.locator('#notif-badge[hidden]').waitFor({ state: 'attached' });
    assertClean(anna.page);
    await anna.context.close();
  });

  test('an employee submits an idea and votes for it', { timeout: 90_000 }, async () => {
    const idea = `Cykelpool för hemtjänsten ${stamp}`;
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'anna@eksjo.se');
    await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Idéer' }).click();
    await waitForTitle(page, 'Idéer');
    await page.getByLabel('Din idé i korthet').fill(idea);
    await page.getByLabel('Beskriv idén (valfritt)').fill('Elcyklar sparar tid i centrum.');
    await page.getByRole('button', { name: 'Skicka in idén' }).click();
    await page.getByText('Tack! Idén är inlämnad.').waitFor();
    const card = page.locator('.idea', { hasText: idea });
    await card.getByRole('button', { name: 'Rösta' }).click();
    await card.getByRole('button', { name: 'Ta tillbaka rösten' }).waitFor();
    assert.match(await card.locator('.idea__votes').textContent(), /^1 röst\b/);
    assertClean(page);
    await context.close();
  });

  test('search with type-ahead and type filters', { timeout: 90_000 }, async () => {
    const { context, page } = await newPage(run.browser);
    await login(page, eksjo, 'anna@eksjo.se');
    await page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Sök' }).click();
    await waitForTitle(page, 'Sök');
    await page.getByLabel('Sök på intranätet').pressSequentially('julfi', { delay: 30 });
    await page.locator('#search-results').getByRole('link', { name: 'Välkommen till julfika' }).waitFor();
    await page.locator('#search-results mark').first().waitFor();
    await page.getByLabel('Dokument', { exact: true }).check();
    await page.getByText('Inga träffar på ”julfi”.').waitFor();
    await page.getByLabel('Nyheter', { exact: true }).check();
    await page.locator('#search-results').getByRole('link', { name: 'Välkommen till julfika' }).click();
    await waitForTitle(page, 'Välkommen till julfika');
    assertClean(page);
    await context.close();
  });
});

describe('new main pages: phone size, accessibility, screenshots', () => {
  const pages = [
    { name: 'groups', path: '#/groups', title: 'Grupper' },
    { name: 'group', path: null, title: null },
    { name: 'notifications', path: '#/notifications', title: 'Notiser' },
    { name: 'ideas', path: '#/ideas', title: 'Idéer' },
    { name: 'search', path: '#/search?q=julfika', title: 'Sök' },
    { name: 'sharing-inbox', path: '#/sharing/inbox', title: 'Delat med oss' },
    { name: 'catalog', path: '#/sharing/catalog', title: 'Låna från partner' },
  ];
  for (const [size, viewport] of [['desktop', desktop], ['phone', phone]]) {
    test(`${size} (${viewport.width}x${viewport.height})`, { timeout: 90_000 }, async () => {
      const { context, page } = await newPage(run.browser, viewport);
      await login(page, eksjo, 'admin@eksjo.se');
      for (const p of pages) {
        if (p.path) {
          await page.goto(`${eksjo}${p.path}`);
          await waitForTitle(page, p.title);
        } else {
          await page.goto(`${eksjo}#/groups`);
          await waitForTitle(page, 'Grupper');
          await page.locator('.group-list a').first().click();
          await page.locator('#posts-heading').waitFor();
          await page.locator('#view[aria-busy]').waitFor({ state: 'detached' });
        }
        assert.equal(await page.locator('h1').count(), 1, `${p.name}: one h1`);
        await checkA11y(page, `${p.name} (${size})`);
        await assertNoHorizontalScroll(page, `${p.name} (${size})`);
        await screenshot(page, `${p.name}-${size}`);
      }
      assertClean(page);
      await context.close();
    });
  }
});
