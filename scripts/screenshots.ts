/**
 * Takes the dashboard screenshots of docs/dashboard.md from a real running demo: doppel in
 * front of the sample backends (v1 primary, v2 candidate, v1 secondary) with traffic sent.
 *
 *   node --import tsx scripts/screenshots.ts [out-dir]     (default: docs)
 *
 * Needs Chromium (`apt-get install -y chromium`, or CHROMIUM_PATH).
 */
import { join } from 'node:path';
import { launchBrowser, startDemo } from '../test/dashboard/harness.js';

const out = process.argv[2] ?? 'docs';
const demo = await startDemo({ requests: 600 });
const bench = await launchBrowser();
try {
  const shoot = async (name: string, hash: string, options: { width: number; height: number; colorScheme: 'light' | 'dark'; full: boolean; scale?: number; ready: string; before?: (p: import('playwright-core').Page) => Promise<void> }) => {
    const { page, context } = await bench.page(options);
    await page.goto(`${demo.admin}/${hash}`);
    await page.locator(options.ready).first().waitFor();
    await options.before?.(page);
    // A still picture: no focus ring.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(out, name), fullPage: options.full });
    await context.close();
    console.log(`wrote ${join(out, name)}`);
  };
  const sample = async (page: import('playwright-core').Page) => {
    await page.getByRole('link', { name: 'GET /api/users/:id' }).click();
    await page.getByRole('button', { name: /^Samples \(\d+\): body\.plan$/ }).click();
    await page.locator('.samples a').first().click();
    await page.locator('.side .code').first().waitFor();
  };
  await shoot('dashboard-light.png', '', { width: 1280, height: 900, colorScheme: 'light', full: true, ready: '.chart' });
  await shoot('dashboard-dark.png', '', { width: 1280, height: 1000, colorScheme: 'dark', full: false, ready: '.chart', before: sample });
  await shoot('dashboard-phone.png', '', { width: 390, height: 844, scale: 2, colorScheme: 'light', full: false, ready: '.chart' });
} finally {
  await bench.close();
  await demo.close();
}
