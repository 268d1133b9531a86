/**
 * `doppel/hono`: request mirroring and shadow testing as Web-standard Hono middleware
 * (`(c, next)`), on `@hono/node-server` and other runtimes with the Fetch API. Scope it
 * with Hono's own routing: `app.use('/api/*', mirror(...))`.
 *
 * The request body reaches the copies through `c.req.raw.clone()` (a tee of the body
 * stream): the app reads its own branch unchanged. When an earlier middleware already
 * read the body, the copies get Hono's cached copy of it. The app's response is observed
 * through `c.res.clone()` after the handler ran, without changing the response sent.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Registry } from 'prom-client';
import { createMirror, type BodyFeed, type MirrorEngine, type MirrorOptions, type MirrorRequestInfo, type MirrorTargetInput } from '../middleware/core.js';
import { DoppelError } from '../core/errors.js';
import { webHeadersToRaw } from '../middleware/headers.js';
import { createShadowEngine, type ShadowEngine, type ShadowOptions } from '../middleware/shadow.js';
import type { BodySink } from '../mirror/body.js';
import { now } from '../mirror/limits.js';
import type { ResponseTap } from '../primary/forward.js';
import type { EndpointReport } from '../report/aggregate-types.js';
import { Metrics } from '../report/metrics.js';

export { percentage, createMirror } from '../middleware/core.js';
export type { MirrorEngine, MirrorOptions, MirrorTargetInput, MirrorTargetOptions, MirrorResponse } from '../middleware/core.js';
export type { ShadowEngine, ShadowOptions, ShadowDiff, ShadowBackendOptions } from '../middleware/shadow.js';

/** A Hono middleware with its engine. */
export type HonoMiddleware<E> = MiddlewareHandler & { readonly engine: E; close(): Promise<void> };

function requestInfo(c: Context): MirrorRequestInfo {
  const req = c.req.raw;
  const u = new URL(req.url);
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return {
    method: req.method,
    url: u.pathname + u.search,
    rawHeaders: webHeadersToRaw(req.headers),
    host: req.headers.get('host') ?? u.host,
    clientIp: incoming?.socket?.remoteAddress ?? '',
  };
}

/** Reads a Web stream into a sink; stops early when the sink wants no more. */
async function pump(body: ReadableStream<Uint8Array>, sink: BodySink & { readonly wanted?: boolean }): Promise<void> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return sink.finish();
      sink.offer(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      if (sink.wanted === false) {
        sink.abort();
        await reader.cancel().catch(() => {});
        return;
      }
    }
  } catch {
    sink.abort();
  }
}

/**
 * The body argument of `begin()`: 0 without a body, undefined when it will be streamed
 * from a clone, or the whole body when an earlier middleware already read it through
 * `c.req` (Hono caches it: text and JSON bodies come back as sent, form bodies read with
 * `parseBody()`/`formData()` re-encoded).
 */
async function bodyInput(c: Context): Promise<number | Buffer | undefined> {
  const req = c.req.raw;
  if (req.body === null) return 0;
  if (!req.bodyUsed) return undefined;
  try {
    return Buffer.from(await c.req.arrayBuffer());
  } catch {
    return undefined;
  }
}

/** Feeds the request body (a clone; the app keeps the original) to a sink. */
function feedBody(c: Context, sink: BodySink | BodyFeed): void {
  const req = c.req.raw;
  if (req.body === null) return sink.finish();
  if (req.bodyUsed) return sink.abort();
  const copy = req.clone().body;
  if (copy === null) return sink.finish();
  void pump(copy, sink);
}

/**
 * Mirror middleware for Hono.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { mirror } from 'doppel/hono';
 * const app = new Hono();
 * app.use('/api/*', mirror('https://staging.example.com'));
 * app.post('/api/orders', async (c) => c.json(await c.req.json()));
 * ```
 */
export function mirror(...args: [MirrorOptions] | MirrorTargetInput[]): HonoMiddleware<MirrorEngine> {
  const engine = createMirror(...args);
  const mw: MiddlewareHandler = async (c, next) => {
    let done: Promise<void> | null = null;
    try {
      const ticket = engine.begin(requestInfo(c), await bodyInput(c));
      if (ticket !== null) {
        if (ticket.body !== null) feedBody(c, ticket.body);
        done = ticket.done;
      }
    } catch {
      // Mirroring never breaks the app's request.
    }
    await next();
    if (done !== null && !engine.async) await done;
  };
  return Object.assign(mw, { engine, close: () => engine.close() });
}

/** Reads the clone of the app's response into the tap. */
async function capture(res: Response, tap: ResponseTap): Promise<boolean> {
  tap.start(res.status, webHeadersToRaw(res.headers));
  if (res.body === null) return true;
  const reader = res.clone().body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      tap.data(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } catch {
    return false;
  }
}

/**
 * Shadow-testing middleware for Hono; `.report()` returns the per-endpoint report.
 *
 * @example
 * ```ts
 * import { shadow } from 'doppel/hono';
 * const tester = shadow({ candidate: 'http://127.0.0.1:4000' });
 * app.use('/api/*', tester);
 * app.get('/shadow-report', (c) => c.json(tester.report()));
 * ```
 */
export function shadow(options: ShadowOptions): HonoMiddleware<ShadowEngine> & { report(): EndpointReport[]; idle(): Promise<void> } {
  const engine = createShadowEngine(options);
  const mw: MiddlewareHandler = async (c, next) => {
    let ticket: ReturnType<ShadowEngine['begin']> = null;
    try {
      ticket = engine.begin(requestInfo(c), await bodyInput(c));
      if (ticket?.body) feedBody(c, ticket.body);
    } catch {
      ticket = null;
    }
    const started = now();
    await next();
    if (ticket === null) return;
    const t = ticket;
    const ttfb = now() - started;
    const res = c.res;
    const over = (ok: boolean): void => {
      const duration = now() - started;
      if (ok) {
        t.tap.end();
        t.done({ status: res.status, ttfb, duration });
      } else t.done({ status: res.status, ttfb, duration, error: new DoppelError('DOPPEL_ERR_CLIENT_ABORTED', 'the response body could not be read') });
    };
    try {
      void capture(res, t.tap).then(over);
    } catch {
      over(false);
    }
  };
  return Object.assign(mw, { engine, close: () => engine.close(), report: () => engine.report(), idle: () => engine.idle() });
}

/**
 * A Hono handler serving a prom-client registry (or a doppel {@link Metrics}).
 *
 * @example
 * ```ts
 * app.get('/metrics', metricsHandler(register));
 * ```
 */
export function metricsHandler(registry: Registry | Metrics): (c: Context) => Promise<Response> {
  const reg = registry instanceof Metrics ? registry.registry : registry;
  return async () => new Response(await reg.metrics(), { status: 200, headers: { 'content-type': reg.contentType } });
}
