/** Shared set-up for the adapter tests: upstreams and apps closed after each file. */
import { after } from 'node:test';
import { startUpstream, type Responder, type Upstream } from '../helpers/servers.js';
import type { AppOptions, Kit, RunningApp } from './kits.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
});

/** A recording upstream, closed after the file. */
export async function upstream(responder?: Responder): Promise<Upstream> {
  const u = await startUpstream(responder);
  closers.push(u.close);
  return u;
}

/** The kit's app, closed after the file. */
export async function app(kit: Kit, options: AppOptions): Promise<RunningApp> {
  const a = await kit.start(options);
  closers.push(a.close);
  return a;
}

/** Closes now what `app()` started (for tests that check the close path). */
export async function closeAll(): Promise<void> {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
}
