/**
 * The dashboard's test bench: a real doppel in front of the sample backends (v1 primary,
 * v2 candidate, v1 secondary) with traffic sent through it, and headless Chromium.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDoppel, type DoppelInstance } from '../../src/app.js';
import { fromFlags } from '../../src/config/index.js';
import { createLogger } from '../../src/core/logger.js';
import { startSampleBackend } from '../../src/demo/backends.js';
import { sendTraffic } from '../../src/demo/traffic.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Whether the browser tests can run: `false` when Chromium is there, else the reason to
 * skip. Under CI a missing Chromium is an error, not a skip.
 */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const message = `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
  if (process.env.CI) throw new Error(message);
  console.log(`# skipping the browser tests: ${message}`);
  return message;
}

/** A running demo: doppel with the sample backends and some traffic already compared. */
export interface Demo {
  app: DoppelInstance;
  /** Base URL of the admin server (the dashboard). */
  admin: string;
  /** Base URL of the proxy. */
  proxy: string;
  /** Sends more traffic and waits until it is compared. */
  send(requests: number): Promise<void>;
  /** Reads an admin API path as JSON (with the token when one is set). */
  api<T = unknown>(path: string): Promise<T>;
  close(): Promise<void>;
}

/** Starts the demo set-up on free ports, optionally with an admin token, and sends `requests`. */
export async function startDemo(options: { requests?: number; token?: string } = {}): Promise<Demo> {
  const v1 = await startSampleBackend('v1');
  const v1b = await startSampleBackend('v1');
  const v2 = await startSampleBackend('v2');
  const config = fromFlags({
    listen: '127.0.0.1:0', admin: '127.0.0.1:0', adminToken: options.token,
    primary: v1.url, mirror: [v2.url], candidate: [v2.url], secondary: v1b.url, logLevel: 'silent',
  });
  const route = config.routes[0];
  route.mirrors[0].name = 'v2-mirror';
  route.shadow!.candidates[0].name = 'v2';
  route.shadow!.secondary!.name = 'v1-secondary';
  route.shadow!.compare.arraysAt = [{ path: '$.items', mode: { mode: 'byKey', key: 'id' } }];
  const app = await startDoppel(config, { logger: createLogger('silent') });
  const admin = `http://127.0.0.1:${app.adminAddress!.port}`;
  const proxy = `http://127.0.0.1:${app.address.port}`;
  const settle = async () => {
    const deadline = Date.now() + 3_000;
    while (app.proxy.copiesInFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await app.shadow.reporter.idle();
  };
  const send = async (requests: number) => {
    await sendTraffic(proxy, requests, () => {});
    await settle();
  };
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(admin + path, { headers: options.token ? { authorization: `Bearer ${options.token}` } : {} });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  if (options.requests) await send(options.requests);
  return {
    app, admin, proxy, send, api,
    close: async () => {
      await app.close();
      await Promise.all([v1.close(), v1b.close(), v2.close()]);
    },
  };
}

/** Headless Chromium. `launch()` runs it with a fresh temporary profile, removed on close. */
export interface BrowserBench {
  browser: Browser;
  /** A new isolated context and page at the given viewport and colour scheme. */
  page(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; scale?: number }): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserBench> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    browser,
    async page({ width = 1280, height = 900, colorScheme = 'light', scale = 1 } = {}) {
      const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: scale, colorScheme, reducedMotion: 'reduce' });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
      });
      return { context, page, errors };
    },
    close: () => browser.close(),
  };
}
