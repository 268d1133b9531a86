/**
 * The request path of the proxy: route, copy to mirror targets, forward to the primary,
 * stream the answer back. Everything a copy does is detached from the client's exchange:
 * copies are admitted or dropped synchronously (bounded), run on their own pools and
 * timers, and can never change the client's status, headers, body or timing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ResolvedConfig } from '../config/types.js';
import { DoppelError } from './errors.js';
import { forwardRequestHeaders, rawHeader, rawHeaderIncludes } from './headers.js';
import { fanOut, type BodySink, type CopyBody } from '../mirror/body.js';
import { MIRROR_MARKER, type CopySource } from '../mirror/copy.js';
import type { MirrorHooks, MirrorTarget } from '../mirror/target.js';
import { forwardTo, sendError, type ForwardResult, type ResponseTap } from '../primary/forward.js';
import { PoolSet } from '../primary/pools.js';
import { hostOnly } from '../routing/match.js';
import { RouteTable, type ExtensionFactory, type RuntimeRoute } from '../routing/table.js';
import { readWholeBody, REQUEST_BUFFER_DEFAULT, type BodyFailure } from '../ingress/whole-body.js';
import { Metrics } from '../report/metrics.js';

/** What an extension sees of an exchange. */
export interface Exchange {
  route: string;
  method: string;
  /** Path and query as received. */
  url: string;
  copy: CopySource;
  /** Client request headers as received, flat. */
  rawHeaders: readonly string[];
  clientIp: string;
  /** Content-Length of the request body, -1 when chunked, 0 when none. */
  bodyLength: number;
}

/** Per-request participation of an extension (shadow testing uses it). */
export interface ExtensionTicket {
  /** Receives the request body chunks, or null. */
  sink: BodySink | null;
  /** Observes the primary's response, or null. */
  tap: ResponseTap | null;
  /** Called when the client's exchange is over. */
  done(result: ForwardResult): void;
}

/** Route-level extension. */
export interface RequestExtension {
  readonly poolKeys: string[];
  begin(exchange: Exchange): ExtensionTicket | null;
}

export interface ProxyOptions {
  metrics?: Metrics;
  hooks?: MirrorHooks;
  extension?: ExtensionFactory<RequestExtension>;
  /** Called for each client request that ended with a doppel error. */
  onRequestError?(err: DoppelError, req: IncomingMessage): void;
}

/**
 * The origin-form (`/path?query`) and authority of an absolute-form request target
 * (`http://host/path?query`), kept byte for byte; null for targets that cannot be
 * forwarded (`*`, other schemes, no authority).
 */
export function originForm(target: string): { path: string; host: string } | null {
  const m = /^https?:\/\/(?:[^/?#@]*@)?([^/?#@]+)([^#]*)/i.exec(target);
  if (m === null) return null;
  const rest = m[2];
  return { host: m[1], path: rest === '' ? '/' : rest.charCodeAt(0) === 0x2f ? rest : `/${rest}` };
}

/** Content-Length as a number, -1 for a chunked body, 0 for none. */
function bodyLengthOf(raw: readonly string[]): number {
  const cl = rawHeader(raw, 'content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    return Number.isFinite(n) && n >= 0 ? n : -1;
  }
  return rawHeader(raw, 'transfer-encoding') !== undefined ? -1 : 0;
}

/** The copies admitted for one request, sent once the primary has been called. */
interface Copies {
  source: CopySource;
  targets: MirrorTarget[];
  /** Each target's streamed body, or null (no body, or the body is read whole). */
  bodies: (CopyBody | null)[];
}

/**
 * The proxy engine, independent of how it is served.
 *
 * @example
 * ```ts
 * const proxy = new DoppelProxy(config);
 * http.createServer((req, res) => proxy.handle(req, res)).listen(8080);
 * ```
 */
export class DoppelProxy {
  readonly metrics: Metrics;
  readonly pools: PoolSet;
  readonly instance = `doppel-${randomBytes(4).toString('hex')}`;
  private table: RouteTable<RequestExtension>;
  private readonly via: string;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  draining = false;

  constructor(
    config: ResolvedConfig,
    private readonly options: ProxyOptions = {},
  ) {
    this.metrics = options.metrics ?? new Metrics();
    this.pools = new PoolSet(config.timeouts);
    this.via = `1.1 ${this.instance}`;
    this.table = new RouteTable(config, this.pools, this.metrics, options.hooks ?? {}, null, options.extension);
  }

  get config(): ResolvedConfig {
    return this.table.config;
  }

  get routes(): RouteTable<RequestExtension> {
    return this.table;
  }

  /** Client requests under way. */
  get inFlight(): number {
    return this.inflight;
  }

  /** Applies a new configuration to new requests; requests under way finish on the old one. */
  reload(config: ResolvedConfig): void {
    this.pools.setTimeouts(config.timeouts);
    const next = new RouteTable(config, this.pools, this.metrics, this.options.hooks ?? {}, this.table, this.options.extension);
    this.table = next;
    this.pools.retain(next.poolKeys());
  }

  /** Handles one client request. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const raw = req.rawHeaders;
    const table = this.table;
    if (this.draining) res.setHeader('connection', 'close');
    let url = req.url ?? '/';
    let authority: string | undefined;
    if (url.charCodeAt(0) !== 0x2f) {
      const target = originForm(url);
      if (target === null) return this.fail(req, res, '-', new DoppelError('DOPPEL_ERR_BAD_REQUEST', `request target ${url.slice(0, 64)} cannot be forwarded`));
      url = target.path;
      authority = target.host;
    }
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (rawHeaderIncludes(raw, 'via', this.instance)) return this.fail(req, res, '-', new DoppelError('DOPPEL_ERR_LOOP'));
    const clientIp = req.socket.remoteAddress ?? '';
    const header = (name: string): string | undefined => rawHeader(raw, name);
    const fwd = forwardRequestHeaders(raw, { clientIp, proto: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http', via: this.via });
    // An absolute-form target's authority replaces Host (RFC 9112, 3.2.2).
    if (authority !== undefined) fwd.host = authority;
    const method = req.method ?? 'GET';
    const route = table.match({ method, host: hostOnly(fwd.host), path, header });
    if (route === undefined) return this.fail(req, res, '-', new DoppelError('DOPPEL_ERR_NO_ROUTE', `no route matches ${method} ${path}`));

    const bodyLength = bodyLengthOf(raw);
    const whole = bodyLength > 0 && bodyLength <= (table.config.requestBuffer ?? REQUEST_BUFFER_DEFAULT);
    const copy: CopySource = { method, url, headers: fwd.headers, host: fwd.host };
    // Copies: never of a copy (loop protection), never of an event stream.
    const copyable = header(MIRROR_MARKER) === undefined && header('accept')?.includes('text/event-stream') !== true;
    let sinks: BodySink[] | null = null;
    let copies: Copies | null = null;
    if (copyable && route.targets.length > 0) {
      const sample = { header, query: q === -1 ? '' : url.slice(q + 1), clientIp };
      for (const t of route.targets) {
        const a = t.admit(method, sample, bodyLength, whole);
        if (!a.go) continue;
        if (a.body !== null) (sinks ??= []).push(a.body);
        (copies ??= { source: copy, targets: [], bodies: [] }).targets.push(t);
        copies.bodies.push(a.body);
      }
    }
    const ticket = copyable && route.extension !== null ? route.extension.begin({ route: route.name, method, url, copy, rawHeaders: raw, clientIp, bodyLength }) : null;
    // A body read whole reaches the shadow sink in one piece (below); only streams fan out.
    if (ticket?.sink && !whole) (sinks ??= []).push(ticket.sink);

    fwd.headers.push('host', fwd.host || new URL(route.primaryOrigin).host);
    // Timeouts per request, so a reload changes them for pools that already exist.
    const t = table.config.timeouts;
    const opts: Dispatcher.DispatchOptions = { origin: route.primaryOrigin, method: method as 'GET', path: route.primaryPath(path) + (q === -1 ? '' : url.slice(q)), headers: fwd.headers, body: null, headersTimeout: t.primary, bodyTimeout: t.idle };
    this.inflight++;
    if (whole) {
      readWholeBody(
        req,
        bodyLength,
        t.idle,
        (body) => {
          if (ticket?.sink) {
            ticket.sink.offer(body);
            ticket.sink.finish();
          }
          opts.body = body;
          this.forward(req, res, route, opts, ticket, copies, body);
        },
        (why) => this.abandon(req, res, route, ticket, copies, why),
      );
      return;
    }
    if (bodyLength !== 0) opts.body = sinks === null ? req : fanOut(req, sinks);
    this.forward(req, res, route, opts, ticket, copies, null);
  }

  /** Calls the primary, then sends the copies (with `whole` when the body was read whole). */
  private forward(req: IncomingMessage, res: ServerResponse, route: RuntimeRoute, opts: Dispatcher.DispatchOptions, ticket: ExtensionTicket | null, copies: Copies | null, whole: Buffer | null): void {
    forwardTo(route.primary, opts, res, ticket?.tap ?? undefined, (result) => {
      route.metrics.response(result.status);
      if (result.error === undefined) {
        route.metrics.primary.ttfb(result.ttfb);
        route.metrics.primary.total(result.duration);
      } else {
        this.metrics.error(route.name, result.error.code);
        this.options.onRequestError?.(result.error, req);
      }
      ticket?.done(result);
      // The exchange counts as in flight until its last bytes are handed to the socket, so a
      // graceful shutdown never cuts a response still queued for a slow reader.
      if (res.writableFinished || res.destroyed) this.settle();
      else res.once('close', this.settleBound);
    });
    if (copies !== null) {
      for (let i = 0; i < copies.targets.length; i++) copies.targets[i].fire(copies.source, whole ?? copies.bodies[i]);
    }
  }

  /**
   * The client went away, or paused longer than `timeouts.idle`, before its whole body
   * arrived: nothing was sent anywhere; a paused client gets 408 and the connection closes.
   */
  private abandon(req: IncomingMessage, res: ServerResponse, route: RuntimeRoute, ticket: ExtensionTicket | null, copies: Copies | null, why: BodyFailure): void {
    const err = why === 'idle' ? new DoppelError('DOPPEL_ERR_REQUEST_TIMEOUT', 'the client paused its request body longer than timeouts.idle') : new DoppelError('DOPPEL_ERR_CLIENT_ABORTED');
    route.metrics.response(err.status);
    this.metrics.error(route.name, err.code);
    this.options.onRequestError?.(err, req);
    if (why === 'idle') {
      // node closes the connection after a response that says so, unread body and all.
      res.setHeader('connection', 'close');
      sendError(res, err);
    }
    ticket?.sink?.abort();
    ticket?.done({ status: err.status, error: err, ttfb: 0, duration: 0 });
    if (copies !== null) for (const t of copies.targets) t.abandon();
    this.settle();
  }

  private readonly settleBound = (): void => this.settle();

  private settle(): void {
    if (--this.inflight === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private fail(req: IncomingMessage, res: ServerResponse, route: string, err: DoppelError): void {
    this.metrics.route(route).response(err.status);
    this.metrics.error(route, err.code);
    this.options.onRequestError?.(err, req);
    req.resume();
    sendError(res, err);
  }

  /** Resolves when no client request is under way, or after `timeoutMs`; true when idle. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Copies under way across all mirror targets. */
  copiesInFlight(): number {
    let n = 0;
    for (const { target } of this.table.allTargets()) n += target.inflight;
    return n;
  }

  /** Closes the upstream pools; `force` aborts what is still under way. */
  close(force = false): Promise<void> {
    return this.pools.close(force);
  }
}
