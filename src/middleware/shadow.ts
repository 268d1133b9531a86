/**
 * Shadow testing inside an app: for a sampled request the same request goes to the
 * candidate (and an optional secondary, a second copy of the app that tells noise from
 * regressions); the app's own response is captured as it is sent, without delay or
 * change; the answers are compared off the request path and counted in the same
 * per-endpoint report and metrics as the proxy's. The framework-agnostic part; adapters
 * feed it the request body and the app's response.
 */
import type { Registry } from 'prom-client';
import { pino, type Logger } from 'pino';
import type { RouteSpec, SampleSpec, ShadowBackendSpec, HostMode, HeaderMutation, RewriteSpec } from '../config/types.js';
import { defaultShadowOptions } from '../config/defaults.js';
import { mergeRules, type PartialCompareRules } from '../compare/index.js';
import type { Difference } from '../compare/types.js';
import { DoppelError } from '../core/errors.js';
import type { BodySink } from '../mirror/body.js';
import { MIRROR_MARKER } from '../mirror/copy.js';
import type { ForwardResult, ResponseTap } from '../primary/forward.js';
import { PoolSet } from '../primary/pools.js';
import { defaultTimeouts } from '../config/defaults.js';
import { ShadowAggregator } from '../report/aggregate.js';
import type { EndpointReport, RequestClass } from '../report/aggregate-types.js';
import type { Metrics } from '../report/metrics.js';
import { threadComparerFor } from '../shadow/comparer.js';
import { ShadowReporter } from '../shadow/reporter.js';
import { ShadowStage } from '../shadow/stage.js';
import type { MirrorRequestInfo } from './core.js';
import { bodyLengthOf, copyHeaders, headerOf, withBodyLength } from './headers.js';
import { metricsFor } from './metrics.js';
import { pipeliningOf } from './options.js';

/** A candidate or secondary backend. */
export interface ShadowBackendOptions {
  url: string;
  /** Name in the report and metrics (default: `host:port` of the URL; `secondary` for the secondary). */
  name?: string;
  headers?: Partial<HeaderMutation>;
  rewrite?: RewriteSpec;
  /** Host header sent to the backend (default `target`). */
  host?: HostMode;
}

/** What `onDiff` receives: one compared request whose candidate answered differently. */
export interface ShadowDiff {
  /** Endpoint name, e.g. `GET /users/:id`. */
  endpoint: string;
  method: string;
  url: string;
  candidate: string;
  /** Differences between the app's answer and the candidate's. */
  differences: Difference[];
  /** `regression` or `noise` (the secondary showed the same differences often enough). */
  result: RequestClass;
}

/** Options of `shadow(...)`. */
export interface ShadowOptions {
  candidate: string | ShadowBackendOptions | (string | ShadowBackendOptions)[];
  secondary?: string | ShadowBackendOptions;
  /** Comparison rules (defaults: status, headers minus the volatile ones, bodies by content type). */
  compare?: PartialCompareRules;
  /** Percentage of requests shadowed (default 100), or a full sampling spec. */
  sample?: number | Partial<SampleSpec>;
  /** Methods shadowed (default GET, HEAD, OPTIONS: the candidate receives what the app receives). */
  methods?: string[];
  /** Timeout of candidate and secondary requests, in ms (default 5000). */
  timeout?: number;
  /** Largest request body sent to the backends, in bytes (default 1 MiB). */
  maxBodySize?: number;
  /** Shadowed requests under way at once before new ones are skipped (default 256). */
  maxInFlight?: number;
  /** Requests to a backend sent back to back on one connection, GET and HEAD only (default 1, at most 64). */
  pipelining?: number;
  /** Diffy noise thresholds (default relative 0.2, absolute 0.0003). */
  noise?: { relative: number; absolute: number };
  /** Fixed endpoint name for every request (default: inferred, e.g. `GET /users/:id`). */
  endpoint?: string;
  /** Called for every compared request with at least one difference. Must not throw. */
  onDiff?(diff: ShadowDiff): void;
  register?: Registry;
  metrics?: Metrics;
  /** Value of the `route` label (default `middleware`). */
  name?: string;
  /** Where regression warnings go (default: nowhere). */
  logger?: Logger;
  /**
   * Compare in a worker thread at the lowest CPU priority, off your server's event loop
   * (default: when the process may run on more than one CPU). Otherwise comparisons run
   * on the event loop in slices of a few milliseconds between I/O turns.
   */
  compareInThread?: boolean;
}

/** The shadow work of one request, fed by an adapter. */
export interface ShadowTicket {
  /** Receives the request body, or null when there is none. */
  body: BodySink | null;
  /** Observes the app's response. */
  tap: ResponseTap;
  /** Called once the app's response is complete (or failed). */
  done(result: ForwardResult): void;
}

/** A shadow-testing engine. */
export interface ShadowEngine {
  readonly aggregator: ShadowAggregator;
  readonly metrics: Metrics;
  /** Starts shadowing one request, or returns null when it is not shadowed. */
  begin(info: MirrorRequestInfo, body?: number | Buffer): ShadowTicket | null;
  /** The per-endpoint report (same rows as the proxy's `GET /api/v1/endpoints`). */
  report(): EndpointReport[];
  /** Resolves when no shadowed request is under way and every comparison was recorded. */
  idle(): Promise<void>;
  close(force?: boolean): Promise<void>;
}

function backend(input: string | ShadowBackendOptions, fallbackName?: string): ShadowBackendSpec {
  const b = typeof input === 'string' ? { url: input } : input;
  let url: URL;
  try {
    url = new URL(b.url);
  } catch {
    throw new DoppelError('DOPPEL_ERR_CONFIG_INVALID', `shadow backend ${JSON.stringify(b.url)} is not a URL`);
  }
  return {
    name: b.name ?? fallbackName ?? url.host,
    url: url.href,
    headers: { set: { ...b.headers?.set }, remove: [...(b.headers?.remove ?? [])] },
    rewrite: { ...b.rewrite },
    host: b.host ?? 'target',
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates a shadow-testing engine.
 *
 * @example
 * ```ts
 * const engine = createShadowEngine({ candidate: 'http://127.0.0.1:4001', onDiff: (d) => console.log(d.endpoint, d.differences) });
 * const ticket = engine.begin({ method: 'GET', url: '/users/7', rawHeaders: req.rawHeaders });
 * ```
 */
export function createShadowEngine(options: ShadowOptions): ShadowEngine {
  const d = defaultShadowOptions();
  const list = Array.isArray(options.candidate) ? options.candidate : [options.candidate];
  if (list.length === 0) throw new DoppelError('DOPPEL_ERR_CONFIG_INVALID', 'shadow needs a candidate');
  const sample: SampleSpec =
    typeof options.sample === 'number' ? { ...d.sample, percent: options.sample } : { ...d.sample, ...options.sample };
  const name = options.name ?? 'middleware';
  const route: RouteSpec = {
    name,
    match: {},
    primary: 'http://app.invalid',
    mirrors: [],
    endpoint: options.endpoint,
    shadow: {
      ...d,
      candidates: list.map((c) => backend(c)),
      secondary: options.secondary !== undefined ? backend(options.secondary, 'secondary') : undefined,
      sample,
      methods: options.methods?.map((m) => m.toUpperCase()) ?? d.methods,
      timeout: options.timeout ?? d.timeout,
      maxBodySize: options.maxBodySize ?? d.maxBodySize,
      maxInFlight: options.maxInFlight ?? d.maxInFlight,
      pipelining: pipeliningOf(options.pipelining, d.pipelining),
      compare: mergeRules(options.compare),
      noise: options.noise ?? d.noise,
    },
  };
  const metrics = metricsFor(options.register, options.metrics);
  const aggregator = new ShadowAggregator({ thresholds: route.shadow!.noise });
  const onDiff = options.onDiff;
  const logger = options.logger ?? pino({ level: 'silent' });
  const comparer = threadComparerFor(options.compareInThread, logger);
  const reporter = new ShadowReporter({
    aggregator,
    metrics,
    logger,
    comparer: comparer ?? undefined,
    onRecord: onDiff
      ? (outcome, rec) => {
          if (outcome.result === 'compared' && outcome.raw.length > 0) {
            onDiff({ endpoint: rec.endpoint, method: outcome.method, url: outcome.url, candidate: outcome.candidate, differences: outcome.raw, result: rec.result });
          }
        }
      : undefined,
  });
  const pools = new PoolSet(defaultTimeouts());
  const stage = new ShadowStage(route, route.shadow!, pools, reporter);

  return {
    aggregator,
    metrics,
    begin(info, body) {
      const raw = info.rawHeaders;
      if (headerOf(raw, MIRROR_MARKER) !== undefined) return null;
      const whole = Buffer.isBuffer(body) ? body : null;
      const bodyLength = whole !== null ? whole.length : typeof body === 'number' ? body : bodyLengthOf(raw);
      const ch = copyHeaders(raw);
      const headers = whole !== null ? withBodyLength(ch.headers, whole.length, info.reencoded === true) : ch.headers;
      const method = info.method.toUpperCase();
      const copy = { method, url: info.url, headers, host: info.host ?? ch.host };
      const ticket = stage.begin({ route: name, method, url: info.url, copy, rawHeaders: raw, clientIp: info.clientIp ?? '', bodyLength });
      if (ticket === null) return null;
      if (whole !== null && ticket.sink !== null) {
        ticket.sink.offer(whole);
        ticket.sink.finish();
      }
      return { body: whole !== null ? null : ticket.sink, tap: ticket.tap!, done: (r) => ticket.done(r) };
    },
    report: () => aggregator.endpoints(),
    async idle() {
      while (stage.inFlight > 0 || reporter.pending > 0) await sleep(5);
      await reporter.idle();
    },
    async close(force = false) {
      await pools.close(force);
      await comparer?.close();
    },
  };
}
