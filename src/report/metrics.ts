/**
 * Prometheus metrics. Label children are bound once per route and target (see
 * {@link Metrics.route} and {@link Metrics.target}). On the request path they only add to
 * plain numbers: prom-client hashes the label set on every `inc()`/`observe()`, even of a
 * bound child, so the sums are handed to it when it collects (every scrape and `get()`).
 * All metrics live on one registry, the app's own when the caller passes it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { bindHistogram } from './fast-histogram.js';

/** Outcomes of a mirror copy, the `outcome` label of `doppel_mirror_requests_total`. */
export const MIRROR_OUTCOMES = [
  'ok',
  'error',
  'timeout',
  'dropped_inflight',
  'dropped_body_size',
  'dropped_rate',
  'circuit_open',
  'dropped_slow',
  'aborted',
] as const;
export type MirrorOutcome = (typeof MIRROR_OUTCOMES)[number];

/** Roles of upstream timings. */
export type UpstreamRole = 'primary' | 'mirror' | 'candidate' | 'secondary';

/** 1 ms x 2^k, 16 buckets (about 1 ms to 33 s), as in caddy-mirror. */
const TTFB_BUCKETS = Array.from({ length: 16 }, (_, k) => 0.001 * 2 ** k);
/** 2 ms x 2^k, 16 buckets. */
const TOTAL_BUCKETS = Array.from({ length: 16 }, (_, k) => 0.002 * 2 ** k);

/** The local counters of one endpoint's shadow series: by result, and by field then verdict. */
interface ShadowSeries {
  results: Map<string, () => void>;
  fields: Map<string, Map<string, () => void>>;
}

/** Timing observer bound to one (route, target, role). Values in milliseconds. */
export interface TimingMetrics {
  ttfb(ms: number): void;
  total(ms: number): void;
}

/** Metrics bound to one route. */
export interface RouteMetrics {
  /** Count a client response by status code. */
  response(status: number): void;
  primary: TimingMetrics;
}

/** Metrics bound to one mirror target of a route. */
export interface TargetMetrics extends TimingMetrics {
  outcome(outcome: MirrorOutcome): void;
  inflight(delta: number): void;
}

/**
 * The metric set of one doppel instance.
 *
 * @example
 * ```ts
 * const metrics = new Metrics();
 * metrics.route('api').response(200);
 * console.log(await metrics.registry.metrics());
 * ```
 */
export class Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'status_class'>;
  readonly mirrorRequests: Counter<'route' | 'target' | 'outcome'>;
  readonly mirrorInflight: Gauge<'route' | 'target'>;
  readonly ttfbSeconds: Histogram<'route' | 'target' | 'role'>;
  readonly durationSeconds: Histogram<'route' | 'target' | 'role'>;
  readonly errors: Counter<'route' | 'code'>;
  readonly shadowComparisons: Counter<'route' | 'endpoint' | 'result'>;
  readonly shadowFields: Counter<'route' | 'endpoint' | 'field' | 'verdict'>;
  private readonly routes = new Map<string, RouteMetrics>();
  private readonly targets = new Map<string, TargetMetrics>();
  private readonly timings = new Map<string, TimingMetrics>();
  /**
   * Local counters of the shadow series, by route and endpoint, then result or field and
   * verdict: a count looks its counter up without building a key. Their number follows
   * the series': endpoints and fields are already bounded by the aggregator.
   */
  private readonly shadowSeries = new Map<string, Map<string, ShadowSeries>>();
  /** Hands the request path's local sums to prom-client, per metric. */
  private readonly flushers = new Map<string, (() => void)[]>();

  constructor(options: { registry?: Registry; defaultMetrics?: boolean; prefix?: string } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    const p = options.prefix ?? 'doppel_';
    const collect = (key: string) => () => {
      for (const f of this.flushers.get(key) ?? []) f();
    };
    this.requests = new Counter({ name: `${p}requests_total`, help: 'Client requests answered, by route and status class.', labelNames: ['route', 'status_class'], registers, collect: collect('requests') });
    this.mirrorRequests = new Counter({ name: `${p}mirror_requests_total`, help: 'Mirror copies by target and outcome (requests left out by sampling are not counted).', labelNames: ['route', 'target', 'outcome'], registers, collect: collect('mirrorRequests') });
    this.mirrorInflight = new Gauge({ name: `${p}mirror_inflight`, help: 'Mirror copies under way.', labelNames: ['route', 'target'], registers, collect: collect('mirrorInflight') });
    this.ttfbSeconds = new Histogram({ name: `${p}upstream_ttfb_seconds`, help: 'Time from sending the request to the upstream until its response headers.', labelNames: ['route', 'target', 'role'], buckets: TTFB_BUCKETS, registers, collect: collect('ttfbSeconds') });
    this.durationSeconds = new Histogram({ name: `${p}upstream_duration_seconds`, help: 'Time from sending the request to the upstream until the end of its response.', labelNames: ['route', 'target', 'role'], buckets: TOTAL_BUCKETS, registers, collect: collect('durationSeconds') });
    this.errors = new Counter({ name: `${p}errors_total`, help: 'Client requests that ended with a doppel error, by code.', labelNames: ['route', 'code'], registers });
    this.shadowComparisons = new Counter({ name: `${p}shadow_comparisons_total`, help: 'Shadowed requests by endpoint and result (match, regression, noise, error, skipped).', labelNames: ['route', 'endpoint', 'result'], registers, collect: collect('shadowComparisons') });
    this.shadowFields = new Counter({ name: `${p}shadow_field_differences_total`, help: 'Field differences between primary and candidate, by verdict at the time they were counted.', labelNames: ['route', 'endpoint', 'field', 'verdict'], registers, collect: collect('shadowFields') });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  private onCollect(key: string, flush: () => void): void {
    let list = this.flushers.get(key);
    if (list === undefined) this.flushers.set(key, (list = []));
    list.push(flush);
  }

  /** A counter child that sums locally; prom-client gets the sum when it collects. */
  private fastCounter(key: string, child: { inc(value?: number): void }): () => void {
    let pending = 0;
    this.onCollect(key, () => {
      if (pending === 0) return;
      child.inc(pending);
      pending = 0;
    });
    return () => {
      pending++;
    };
  }

  /** Timing observer for one (route, target, role), bound once (cached). Values in ms. */
  timing(route: string, target: string, role: UpstreamRole): TimingMetrics {
    const key = `${route}\u0000${target}\u0000${role}`;
    let m = this.timings.get(key);
    if (m === undefined) {
      const labels = { route, target, role };
      const ttfb = bindHistogram(this.ttfbSeconds, labels, 1000);
      const total = bindHistogram(this.durationSeconds, labels, 1000);
      this.onCollect('ttfbSeconds', ttfb.flush);
      this.onCollect('durationSeconds', total.flush);
      m = { ttfb: ttfb.observe, total: total.observe };
      this.timings.set(key, m);
    }
    return m;
  }

  /** Metrics bound to a route (cached). */
  route(name: string, primaryTarget = 'primary'): RouteMetrics {
    let m = this.routes.get(name);
    if (m === undefined) {
      const byClass = [1, 2, 3, 4, 5].map((c) => this.fastCounter('requests', this.requests.labels(name, `${c}xx`)));
      m = {
        response: (status) => {
          const c = Math.floor(status / 100);
          byClass[c >= 1 && c <= 5 ? c - 1 : 4]();
        },
        primary: this.timing(name, primaryTarget, 'primary'),
      };
      this.routes.set(name, m);
    }
    return m;
  }

  /** Metrics bound to a mirror target of a route (cached). */
  target(route: string, target: string): TargetMetrics {
    const key = `${route}\u0000${target}`;
    let m = this.targets.get(key);
    if (m === undefined) {
      const outcomes = new Map(MIRROR_OUTCOMES.map((o) => [o, this.fastCounter('mirrorRequests', this.mirrorRequests.labels(route, target, o))]));
      const gauge = this.mirrorInflight.labels(route, target);
      let inflight = 0;
      let touched = false;
      this.onCollect('mirrorInflight', () => {
        if (touched) gauge.set(inflight);
      });
      const timing = this.timing(route, target, 'mirror');
      m = {
        outcome: (o) => outcomes.get(o)!(),
        inflight: (d) => {
          inflight += d;
          touched = true;
        },
        ttfb: timing.ttfb,
        total: timing.total,
      };
      this.targets.set(key, m);
    }
    return m;
  }

  /** Records one upstream timing off the request path (shadow backends). */
  upstreamTiming(route: string, target: string, role: UpstreamRole, ttfbMs: number, totalMs: number): void {
    const t = this.timing(route, target, role);
    t.ttfb(ttfbMs);
    t.total(totalMs);
  }

  /** The local shadow counters of one endpoint of a route, made on first use. */
  private seriesOf(route: string, endpoint: string): ShadowSeries {
    let byEndpoint = this.shadowSeries.get(route);
    if (byEndpoint === undefined) this.shadowSeries.set(route, (byEndpoint = new Map()));
    let s = byEndpoint.get(endpoint);
    if (s === undefined) byEndpoint.set(endpoint, (s = { results: new Map(), fields: new Map() }));
    return s;
  }

  /** Counts one shadowed request's result. */
  shadowComparison(route: string, endpoint: string, result: string): void {
    const results = this.seriesOf(route, endpoint).results;
    let inc = results.get(result);
    if (inc === undefined) results.set(result, (inc = this.fastCounter('shadowComparisons', this.shadowComparisons.labels(route, endpoint, result))));
    inc();
  }

  /** Counts one field difference. */
  shadowField(route: string, endpoint: string, field: string, verdict: string): void {
    const fields = this.seriesOf(route, endpoint).fields;
    let byVerdict = fields.get(field);
    if (byVerdict === undefined) fields.set(field, (byVerdict = new Map()));
    let inc = byVerdict.get(verdict);
    if (inc === undefined) byVerdict.set(verdict, (inc = this.fastCounter('shadowFields', this.shadowFields.labels(route, endpoint, field, verdict))));
    inc();
  }

  /** Count a client request that ended with a doppel error. */
  error(route: string, code: string): void {
    this.errors.labels(route, code).inc();
  }

  /** The metrics in Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
