/**
 * The dashboard in real headless Chromium against a real doppel with the sample backends:
 * overview, sorting, keyboard navigation to a sample, marking a field, live refresh,
 * themes, phone width and the token prompt.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { browserSkip, launchBrowser, startDemo, type BrowserBench, type Demo } from './harness.js';
import { cardNumber, horizontalOverflow, sectionOf, tabTo } from './helpers.js';

const skip = browserSkip();

interface Overview { requests: number; mirrored: number; compared: number; regressions: number; noise: number; errors: number; targets: { target: string; ok: number }[] }
interface EndpointRow { id: string; endpoint: string; requests: number; compared: number; regressions: number; fields: { path: string; kind: string; verdict: string; mark?: string }[] }

const rate = (e: EndpointRow) => (e.compared ? e.regressions / e.compared : 0);

/** Makes the page believe its tab is hidden or visible again (a string: no helpers of the test's compiler in the page). */
function setHidden(page: Page, hidden: boolean): Promise<void> {
  return page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, value: ${hidden} }); document.dispatchEvent(new Event('visibilitychange'));`);
}

/** Opens the dashboard and waits for the first report. */
async function open(page: Page, demo: Demo, hash = ''): Promise<void> {
  await page.goto(`${demo.admin}/${hash}`);
  await page.locator('[data-stat="compared"] .value, .field, .side, .token').first().waitFor();
}

describe('dashboard in Chromium', { skip }, () => {
  let demo: Demo;
  let bench: BrowserBench;
  /** One page for the tests that need no fresh storage; each test starts with a load. */
  let page: Page;
  let errors: string[];
  before(async () => {
    [demo, bench] = await Promise.all([startDemo({ requests: 200 }), launchBrowser()]);
    ({ page, errors } = await bench.page());
  });
  after(async () => {
    await bench?.close();
    await demo?.close();
  });

  test('overview cards and the endpoints table show what the API reports', async () => {
    await open(page, demo);
    const o = await demo.api<Overview>('/api/v1/overview');
    for (const stat of ['requests', 'mirrored', 'compared', 'regressions', 'noise', 'errors'] as const) {
      assert.equal(await cardNumber(page, stat), o[stat], `card ${stat}`);
    }
    assert.ok(o.compared > 0 && o.regressions > 0);
    const rows = await demo.api<EndpointRow[]>('/api/v1/endpoints');
    assert.equal(await page.locator('table.endpoints tbody tr').count(), rows.length);
    const target = page.locator('table.targets tbody tr[data-target="v2-mirror"]');
    assert.match(await target.innerText(), /closed/);
    assert.equal(Number((await target.locator('td').first().innerText()).replace(/\D/g, '')), o.targets.find((t) => t.target === 'v2-mirror')!.ok);
    assert.ok(await page.locator('.chart svg[role="img"]').count() >= 1, 'a latency chart per endpoint');
    assert.match((await page.locator('.chart svg').first().getAttribute('aria-label')) ?? '', /p99: primary [\d.]+ ms, candidate [\d.]+ ms/);
    assert.deepEqual(errors.splice(0), []);
  });

  test('the endpoints table sorts by regression rate and by requests', async () => {
    await open(page, demo);
    const rows = await demo.api<EndpointRow[]>('/api/v1/endpoints');
    const shown = async () => page.locator('table.endpoints tbody th a').allInnerTexts();
    const sortBy = async (label: string) => page.getByRole('button', { name: label, exact: true }).click();
    const byRate = (dir: number) => [...rows].sort((a, b) => dir * (rate(a) - rate(b)) || b.requests - a.requests || a.endpoint.localeCompare(b.endpoint)).map((e) => e.endpoint);
    const byRequests = (dir: number) => [...rows].sort((a, b) => dir * (a.requests - b.requests) || b.requests - a.requests || a.endpoint.localeCompare(b.endpoint)).map((e) => e.endpoint);
    const th = (name: string) => page.locator('table.endpoints thead th', { hasText: name });

    assert.equal(await th('Regression rate').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await shown(), byRate(-1));
    await sortBy('Requests');
    assert.equal(await th('Requests').getAttribute('aria-sort'), 'descending');
    assert.equal(await th('Regression rate').getAttribute('aria-sort'), 'none');
    assert.deepEqual(await shown(), byRequests(-1));
    await sortBy('Requests');
    assert.equal(await th('Requests').getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await shown(), byRequests(1));
    await sortBy('Regression rate');
    await sortBy('Regression rate');
    assert.equal(await th('Regression rate').getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await shown(), byRate(1));
    assert.match(await page.locator('table.endpoints caption').innerText(), /regression rate, ascending/);
  });

  test('keyboard only: skip link, endpoint, samples, and the sample with its differences marked', async () => {
    await open(page, demo);
    await tabTo(page, 'a.skip');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    await tabTo(page, 'table.endpoints a', 'GET /api/users/:id');
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'GET /api/users/:id' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'page-title', 'focus moves to the new page');
    assert.equal(await sectionOf(page, 'body.plan', 'changed'), 'regression');

    await tabTo(page, 'button', 'Samples', 80);
    const name = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    if (!name?.includes('body.plan')) await tabTo(page, 'button[aria-controls]', 'body.plan');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-expanded')), 'true');
    await tabTo(page, '.samples a', '/api/users/');
    const url = await page.evaluate(() => document.activeElement?.textContent ?? '');
    await page.keyboard.press('Enter');
    await page.locator('.side').first().waitFor();
    await page.locator('h1', { hasText: `Sample: ${url.trim()}` }).waitFor();

    const diffs = page.locator('table.diffs tbody tr');
    assert.ok((await diffs.allInnerTexts()).some((t) => t.includes('body.plan') && t.includes('"business"')));
    const primaryPlan = page.locator('section[aria-label="Primary response"] .ln', { hasText: '"plan"' });
    const candidatePlan = page.locator('section[aria-label="Candidate response"] .ln', { hasText: '"plan"' });
    assert.match((await primaryPlan.getAttribute('class')) ?? '', /d-chg/);
    assert.match((await candidatePlan.getAttribute('class')) ?? '', /d-chg/);
    assert.match(await candidatePlan.innerText(), /"business"/);
    const locale = page.locator('section[aria-label="Candidate response"] .ln', { hasText: '"locale"' });
    assert.match((await locale.getAttribute('class')) ?? '', /d-add/, 'an extra field is marked as added');
    assert.equal(await page.locator('section[aria-label="Primary response"] .ln', { hasText: '"locale"' }).count(), 0);
    assert.equal(await page.locator('section[aria-label="Primary response"] .ln', { hasText: '"email"' }).getAttribute('data-mark'), null, 'equal lines are not marked');

    // Back to the endpoint by the breadcrumb, still with the keyboard.
    await tabTo(page, 'nav.crumbs a', 'GET /api/users/:id');
    await page.keyboard.press('Enter');
    await page.locator('section.fields-regression').waitFor();
    assert.deepEqual(errors.splice(0), []);
  });

  test('marking a field as noise moves it from regressions to noise, and unmarking moves it back', async () => {
    await open(page, demo);
    await page.getByRole('link', { name: 'GET /api/users/:id' }).click();
    await page.locator('section.fields-regression .field[data-field="body.plan"]').waitFor();
    await page.getByRole('button', { name: 'Mark as noise: body.plan' }).click();
    await page.locator('section.fields-noise .field[data-field="body.plan"]').waitFor({ timeout: 5_000 });
    assert.equal(await page.locator('section.fields-regression .field[data-field="body.plan"]').count(), 0);
    assert.match(await page.locator('.field[data-field="body.plan"]').innerText(), /Noise \(marked\)/);
    assert.match(await page.locator('p.notice[role="status"]').innerText(), /body\.plan marked as noise/);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Unmark: body.plan', 'focus follows the moved field');
    const rows = await demo.api<EndpointRow[]>('/api/v1/endpoints');
    const field = rows.find((e) => e.endpoint === 'GET /api/users/:id')!.fields.find((f) => f.path === 'body.plan')!;
    assert.equal(field.mark, 'noise');

    // Survives a reload (the mark is on the server), then undo.
    await page.reload();
    await page.locator('section.fields-noise .field[data-field="body.plan"]').waitFor();
    await page.getByRole('button', { name: 'Unmark: body.plan' }).click();
    await page.locator('section.fields-regression .field[data-field="body.plan"]').waitFor({ timeout: 5_000 });
  });

  test('refreshes live every 2 s, and stops while the tab is hidden', async () => {
    await open(page, demo);
    const before = await cardNumber(page, 'compared');
    await demo.send(20);
    const o = await demo.api<Overview>('/api/v1/overview');
    assert.ok(o.compared > (before ?? 0));
    await page.waitForFunction((n) => document.querySelector('[data-stat="compared"] .value')?.textContent?.replace(/\D/g, '') === String(n), o.compared, { timeout: 4_000 });

    let calls = 0;
    const count = (r: Request) => void (r.url().includes('/api/v1/') && calls++);
    page.on('request', count);
    await setHidden(page, true);
    await page.waitForTimeout(100);
    calls = 0;
    await page.waitForTimeout(2_600);
    assert.equal(calls, 0, 'no polling while hidden');
    assert.match(await page.locator('.live').innerText(), /Paused while hidden/);
    await setHidden(page, false);
    await page.waitForTimeout(300);
    assert.ok(calls > 0, 'polls again at once when visible');
    page.off('request', count);
  });

  test('theme: follows the system, toggles, and the choice persists', async () => {
    const { page, context } = await bench.page({ colorScheme: 'dark' });
    await open(page, demo);
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(await theme(), 'dark');
    const darkBg = await bg();
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    assert.equal(await theme(), 'light');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.notEqual(await bg(), darkBg);
    await page.reload();
    await page.locator('[data-stat="compared"]').waitFor();
    assert.equal(await theme(), 'light', 'the choice outlives a reload');
    await context.close();
  });

  test('phone width (390 px): no horizontal scrolling on any page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, demo);
    assert.ok((await horizontalOverflow(page)) <= 0, 'overview');
    await page.getByRole('link', { name: 'GET /api/users/:id' }).click();
    await page.locator('section.fields-regression').waitFor();
    assert.ok((await horizontalOverflow(page)) <= 0, 'endpoint');
    await page.getByRole('button', { name: /^Samples \(\d+\): body\.plan$/ }).click();
    await page.locator('.samples a').first().click();
    await page.locator('.side .code').first().waitFor();
    assert.ok((await horizontalOverflow(page)) <= 0, 'sample');
    const [a, b] = await page.locator('.side').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
    assert.ok(b > a, 'primary and candidate stack on a phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('dashboard with an admin token', { skip }, () => {
  let demo: Demo;
  let bench: BrowserBench;
  before(async () => {
    [demo, bench] = await Promise.all([startDemo({ token: 'tok-123' }), launchBrowser()]);
  });
  after(async () => {
    await bench?.close();
    await demo?.close();
  });

  test('asks for the token on 401, rejects a wrong one, keeps the right one for the tab', async () => {
    const { page, context } = await bench.page();
    await open(page, demo);
    await page.getByRole('heading', { name: 'Admin token required' }).waitFor();
    const input = page.getByLabel('Admin token', { exact: true });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'token-input');
    await input.fill('wrong');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'rejected' }).waitFor();
    await input.fill('tok-123');
    await page.keyboard.press('Enter');
    await page.locator('[data-stat="compared"] .value').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('doppel.adminToken')), 'tok-123');
    await page.reload();
    await page.locator('[data-stat="compared"] .value').waitFor();
    await page.getByRole('button', { name: 'Forget token' }).click();
    await page.getByRole('heading', { name: 'Admin token required' }).waitFor();
    await context.close();
  });
});
