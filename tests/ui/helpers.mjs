// Shared pieces of the UI tests: the browser (Debian's chromium driven by playwright-core),
// signing in, axe-core checks and screenshots. Environment from run.sh: SAMVERKA_UI_PORT,
// SAMVERKA_CHROMIUM, SAMVERKA_UI_ARTIFACTS.
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const port = Number(process.env.SAMVERKA_UI_PORT);
if (!port) throw new Error('SAMVERKA_UI_PORT is not set: run the tests with tests/ui/run.sh');
export const origin = `http://127.0.0.1:${port}`;
export const password = 'Samverka-2026';
export const artifacts = process.env.SAMVERKA_UI_ARTIFACTS || path.resolve('ui-artifacts');
mkdirSync(artifacts, { recursive: true });

export const desktop = { width: 1280, height: 900 };
export const phone = { width: 360, height: 740 };

// Waits for every step of the tests; generous for a loaded CI machine, still bounded.
export const timeout = 15_000;

export async function launch() {
  // playwright-core gives each launch a fresh, temporary --user-data-dir of its own (it refuses
  // one passed in args); TMPDIR points it at a directory this run owns and removes.
  const profileRoot = mkdtempSync(path.join(tmpdir(), 'samverka-chromium-'));
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = profileRoot;
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.SAMVERKA_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profileRoot, { recursive: true, force: true });
    },
  };
}

// A fresh context (own cookies) and page; console errors, page errors and CSP violations are
// collected so that tests can assert the UI ran clean under the strict policy.
export async function newPage(browser, viewport = desktop) {
  const context = await browser.newContext({ viewport, locale: 'sv-SE', timezoneId: 'Europe/Stockholm' });
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404)/.test(m.text()))
      page.problems.push(`console: ${m.text()}`);
  });
  return { context, page };
}

// `allowed` names console messages a test provoked on purpose (e.g. a refused form: status 400).
export function assertClean(page, allowed = null) {
  const problems = allowed ? page.problems.filter((p) => !allowed.test(p)) : page.problems;
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
}

// Signs in through the form at `url` and waits for the start page.
export async function login(page, url, email) {
  await page.goto(url);
  await page.getByLabel('E-postadress').fill(email);
  await page.getByLabel('Lösenord').fill(password);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.locator('#page-title', { hasText: 'Mitt intranät' }).waitFor();
  await page.locator('#news-list').waitFor();
}

// Runs axe-core in the page (WCAG 2.0/2.1 A and AA rules) and fails on serious or critical
// violations. page.evaluate is not subject to the page's CSP, so axe needs no inline script.
export async function checkA11y(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(report, [], `axe on ${label}`);
}

// No horizontal scrolling: the document is no wider than the viewport.
export async function assertNoHorizontalScroll(page, label) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${label}: page is ${scroll}px wide in a ${client}px viewport`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

// The route of the UI after the current page settles on `title`.
export async function waitForTitle(page, text) {
  await page.locator('#page-title', { hasText: text }).waitFor();
  await page.locator('#view[aria-busy]').waitFor({ state: 'detached' });
}
