/**
 * Accessibility of the dashboard in Chromium: axe-core finds no serious or critical
 * violation (names, labels, contrast, structure) on the main page, an endpoint and a
 * sample, in both themes; keyboard focus is always visible.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, launchBrowser, startDemo, type BrowserBench, type Demo } from './harness.js';

const skip = browserSkip();
const AXE = skip ? '' : readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }

/**
 * Runs axe on the page (WCAG 2.x A and AA, plus best practices; or only the given rules);
 * returns the serious and critical violations, described.
 */
async function seriousViolations(page: Page, rules?: string[]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const { violations, passes } = await page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: unknown[] }> } }).axe;
    const runOnly = only ? { type: 'rule', values: only } : { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] };
    const r = await axe.run(document, { runOnly, resultTypes: ['violations', 'passes'] });
    return { violations: r.violations, passes: (r as unknown as { passes: { id: string }[] }).passes.map((p) => p.id) };
  }, rules ?? null) as { violations: AxeViolation[]; passes: string[] };
  assert.ok(passes.includes('color-contrast'), 'axe checked the contrast');
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`);
}

describe('dashboard accessibility', { skip }, () => {
  let demo: Demo;
  let bench: BrowserBench;
  before(async () => {
    [demo, bench] = await Promise.all([startDemo({ requests: 120 }), launchBrowser()]);
  });
  after(async () => {
    await bench?.close();
    await demo?.close();
  });

  test('no serious or critical axe violations: overview, endpoint and sample; contrast in both themes', async () => {
    const { page, context } = await bench.page({ colorScheme: 'light' });
    await page.goto(`${demo.admin}/`);
    await page.locator('[data-stat="compared"] .value').waitFor();
    // Stop the live refresh so the page holds still while axe walks it.
    await page.getByRole('button', { name: 'Pause updates' }).click();
    const dark = page.getByRole('button', { name: 'Dark theme' });
    /** Every rule in the light theme, then the contrast again in the dark one. */
    const check = async (what: string) => {
      assert.deepEqual(await seriousViolations(page), [], `${what} (light)`);
      await dark.click();
      assert.deepEqual(await seriousViolations(page, ['color-contrast', 'link-in-text-block']), [], `${what} (dark)`);
      await dark.click();
    };
    await check('overview');

    await page.getByRole('link', { name: 'GET /api/users/:id' }).click();
    await page.locator('section.fields-regression').waitFor();
    await page.getByRole('button', { name: /^Samples \(\d+\): body\.plan$/ }).click();
    await check('endpoint');

    await page.locator('.samples a').first().click();
    await page.locator('.side .code').first().waitFor();
    await check('sample');
    await context.close();
  });

  test('the token prompt has a labelled field', async () => {
    const { page, context } = await bench.page();
    // The API answers 401 as it does with a token configured.
    await page.route('**/api/v1/**', (route) =>
      route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":"DOPPEL_ERR_ADMIN_UNAUTHORIZED","message":"admin API token missing or wrong"}' }),
    );
    await page.goto(`${demo.admin}/`);
    await page.getByRole('heading', { name: 'Admin token required' }).waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await context.close();
  });

  test('every focus stop by Tab is visible: an outline of at least 2 px, inside the viewport after scrolling', async () => {
    const { page, context } = await bench.page();
    await page.goto(`${demo.admin}/`);
    await page.locator('[data-stat="compared"] .value').waitFor();
    const seen: string[] = [];
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const s = getComputedStyle(el);
        const r = el.getBoundingClientRect();
        return {
          what: `${el.tagName.toLowerCase()} ${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}`,
          outline: s.outlineStyle !== 'none' ? parseFloat(s.outlineWidth) : 0,
          visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
        };
      });
      if (!f) break;
      seen.push(f.what);
      assert.ok(f.outline >= 2, `focus outline on ${f.what}: ${f.outline}px`);
      assert.ok(f.visible, `${f.what} is on screen when focused`);
    }
    assert.match(seen[0] ?? '', /^a Skip to content/, 'the skip link comes first');
    assert.ok(seen.some((s) => s.startsWith('button') && s.includes('Regression rate')), 'sort buttons are reachable');
    assert.ok(seen.some((s) => s.startsWith('a GET /api/users')), 'endpoint links are reachable');
    await context.close();
  });
});
