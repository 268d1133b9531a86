/** Page helpers of the browser tests: keyboard navigation, numbers on cards, overflow. */
import type { Page } from 'playwright-core';

/** Presses Tab until the focused element matches `selector` (and has `text` in its name), or fails after `max` presses. */
export async function tabTo(page: Page, selector: string, text = '', max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const hit = await page.evaluate(
      ([sel, txt]) => {
        const el = document.activeElement;
        if (!el || !el.matches(sel)) return false;
        const name = `${el.getAttribute('aria-label') ?? ''} ${el.textContent ?? ''}`;
        return name.includes(txt);
      },
      [selector, text] as const,
    );
    if (hit) return;
  }
  throw new Error(`Tab never reached ${selector} ${text}`);
}

/** The number shown on an overview card (digits only), or null for a dash. */
export async function cardNumber(page: Page, stat: string): Promise<number | null> {
  const text = await page.locator(`[data-stat="${stat}"] .value`).innerText();
  const digits = text.replace(/[^\d]/g, '');
  return digits ? Number(digits) : null;
}

/** How far the page scrolls sideways beyond the viewport (0 when it does not). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth);
}

/** The verdict section a field row is in: `regression`, `noise` or `ignored`, or null. */
export function sectionOf(page: Page, path: string, kind: string): Promise<string | null> {
  return page.evaluate(
    ([p, k]) => {
      const row = document.querySelector(`.field[data-field="${CSS.escape(p)}"][data-kind="${CSS.escape(k)}"]`);
      const section = row?.closest('section.fields');
      return section ? (section.className.match(/fields-(\w+)/)?.[1] ?? null) : null;
    },
    [path, kind] as const,
  );
}
