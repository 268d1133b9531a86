/**
 * The framework-agnostic mirror engine behind every middleware adapter. Per request it
 * runs admission for each target (method, sampling, limits, circuit), sends the admitted
 * copies at once on doppel's own connection pools, and is fed the request body as the
 * app reads it. Copies are fire-and-forget: nothing here can change the app's response,
 * and copies never read the app's body stream themselves.
 */
import type { Readable } from 'node:stream';
import { defaultTimeouts } from '../config/defaults.js';
import { CopyBody, type BodySink } from '../mirror/body.js';
import { MIRROR_MARKER, type CopySource } from '../mirror/copy.js';
import { MirrorTarget } from '../mirror/target.js';
import { PoolSet } from '../primary/pools.js';
import type { Metrics } from '../report/metrics.js';
import { bodyLengthOf, copyHeaders, headerOf, withBodyLength } from './headers.js';
import { metricsFor } from './metrics.js';
import { resolveMirrorOptions, type MirrorOptions, type MirrorTargetInput } from './options.js';

export { percentage, type MirrorOptions, type MirrorTargetInput, type MirrorTargetOptions } from './options.js';
export type { MirrorResponse, MirrorHooks } from '../mirror/target.js';

/** What the engine needs to know of a request. */
export interface MirrorRequestInfo {
  method: string;
  /** Path and query as received, e.g. `/users/7?x=1` (the full path, before any mount point is stripped). */
  url: string;
  /** Request headers as received, flat: `[name, value, name, value, ...]`. */
  rawHeaders: readonly string[];
  /** Original Host (default: the Host header). Sent as `X-Mirrored-From`. */
  host?: string;
  /** Client address, for `hash` sampling on the IP. */
  clientIp?: string;
  /** The body given as a Buffer was decoded and re-serialised (drops `Content-Encoding`). */
  reencoded?: boolean;
}

/** The request body's way to the copies of one request. */
export interface BodyFeed extends BodySink {
  /** False once every copy has stopped taking the body (cut off or finished). */
  readonly wanted: boolean;
}

/** The copies of one request. */
export interface MirrorTicket {
  /** Where the request body goes, chunk by chunk; null when no copy needs it. */
  body: BodyFeed | null;
  /** Resolves when every copy has finished, whatever the outcome; never rejects. */
  done: Promise<void>;
}

/** A mirror engine: created once, used for every request. */
export interface MirrorEngine {
  readonly targets: readonly MirrorTarget[];
  readonly metrics: Metrics;
  /** False when responses must wait for the copies (`async: false`). */
  readonly async: boolean;
  /** Value of the `route` label of the metrics. */
  readonly name: string;
  /**
   * Admits and starts the copies of one request. `body` is the body length (default: from
   * Content-Length, -1 when chunked) or the whole body as a Buffer. Returns null when no
   * copy is made (not sampled, dropped by a limit, or a request that is itself a copy).
   */
  begin(info: MirrorRequestInfo, body?: number | Buffer): MirrorTicket | null;
  /**
   * Copies one request whose body the engine owns: a Readable (read by the engine, or
   * destroyed when no copy needs it: never pass the app's own request stream), a Buffer,
   * or null. Resolves when every copy has finished.
   */
  handle(info: MirrorRequestInfo, body?: Readable | Buffer | null): Promise<void>;
  /** Copies under way. */
  inFlight(): number;
  /** Closes the connection pools; `force` aborts copies under way. */
  close(force?: boolean): Promise<void>;
}

class Feed implements BodyFeed {
  constructor(private readonly bodies: CopyBody[]) {}
  get wanted(): boolean {
    for (const b of this.bodies) if (!b.destroyed && !b.readableEnded) return true;
    return false;
  }
  offer(chunk: Buffer): void {
    for (const b of this.bodies) b.offer(chunk);
  }
  finish(): void {
    for (const b of this.bodies) b.finish();
  }
  abort(): void {
    for (const b of this.bodies) b.abort();
  }
}

/**
 * Feeds a Readable the engine owns to a body feed; stops reading when no copy wants more.
 *
 * @example
 * ```ts
 * const ticket = engine.begin(info);
 * if (ticket?.body) pumpToFeed(Readable.fromWeb(request.clone().body!), ticket.body);
 * ```
 */
export function pumpToFeed(source: Readable, feed: BodySink & { readonly wanted?: boolean }): void {
  let over = false;
  const stop = (ok: boolean): void => {
    if (over) return;
    over = true;
    if (ok) feed.finish();
    else feed.abort();
  };
  source.on('data', (chunk: Buffer | string) => {
    feed.offer(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (feed.wanted === false) {
      stop(false);
      source.destroy();
    }
  });
  source.once('end', () => stop(true));
  source.once('error', () => stop(false));
  source.once('close', () => stop(source.readableEnded));
}

const NO_COPY = Promise.resolve();
const EMPTY = Buffer.alloc(0);

/**
 * Creates a mirror engine from target URLs or options (see {@link MirrorOptions}).
 *
 * @example
 * ```ts
 * const engine = createMirror({ targets: ['http://127.0.0.1:3001', percentage('http://127.0.0.1:3002', 5)] });
 * await engine.handle({ method: 'POST', url: '/orders?x=1', rawHeaders: req.rawHeaders }, Buffer.from('{"id":1}'));
 * ```
 */
export function createMirror(...args: [MirrorOptions] | MirrorTargetInput[]): MirrorEngine {
  const options = resolveMirrorOptions(args);
  const metrics = metricsFor(options.register, options.metrics);
  const pools = new PoolSet(defaultTimeouts());
  const targets = options.targets.map(
    (spec) => new MirrorTarget(spec, pools.copies(new URL(spec.url).origin, spec.pipelining), metrics.target(options.name, spec.name), options.hooks),
  );

  function begin(info: MirrorRequestInfo, body?: number | Buffer): MirrorTicket | null {
    const raw = info.rawHeaders;
    // Never a copy of a copy (loop protection), never an event stream.
    if (headerOf(raw, MIRROR_MARKER) !== undefined || headerOf(raw, 'accept')?.includes('text/event-stream') === true) return null;
    const whole = Buffer.isBuffer(body) ? body : null;
    const bodyLength = whole !== null ? whole.length : typeof body === 'number' ? body : bodyLengthOf(raw);
    const ch = copyHeaders(raw);
    const method = info.method.toUpperCase();
    const q = info.url.indexOf('?');
    const sample = { header: (n: string) => headerOf(raw, n), query: q === -1 ? '' : info.url.slice(q + 1), clientIp: info.clientIp ?? '' };
    let source: CopySource | null = null;
    let bodies: CopyBody[] | null = null;
    let sends: Promise<void>[] | null = null;
    for (const t of targets) {
      const a = t.admit(method, sample, bodyLength, whole !== null);
      if (!a.go) continue;
      source ??= {
        method,
        url: info.url,
        headers: whole !== null ? withBodyLength(ch.headers, bodyLength, info.reencoded === true) : ch.headers,
        host: info.host ?? ch.host,
      };
      if (whole !== null) (sends ??= []).push(t.send(source, whole));
      else if (a.body === null) (sends ??= []).push(t.send(source, null));
      else {
        (bodies ??= []).push(a.body);
        (sends ??= []).push(t.send(source, a.body));
      }
    }
    if (sends === null) return null;
    return { body: bodies === null ? null : new Feed(bodies), done: sends.length === 1 ? sends[0] : Promise.all(sends).then(() => {}) };
  }

  return {
    targets,
    metrics,
    async: options.async,
    name: options.name,
    begin,
    handle(info, body) {
      if (body === null || body === undefined) return begin(info, EMPTY)?.done ?? NO_COPY;
      if (Buffer.isBuffer(body)) return begin(info, body)?.done ?? NO_COPY;
      const ticket = begin(info);
      if (ticket?.body) pumpToFeed(body, ticket.body);
      else body.destroy();
      return ticket?.done ?? NO_COPY;
    },
    inFlight: () => targets.reduce((n, t) => n + t.inflight, 0),
    close: (force = false) => pools.close(force),
  };
}
