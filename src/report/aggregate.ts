/**
 * The aggregation of comparison outcomes into the per-endpoint, per-field shadow report,
 * with noise told apart from regressions by Diffy's statistical method (see `noise.ts`).
 *
 * Per (route, candidate, endpoint) it counts requests by result and, per field (folded
 * path and kind), the requests with a raw difference (primary vs candidate) and with a
 * noise difference (primary vs secondary). A field counts at most once per request and
 * side. Verdicts are computed when the report is read, from the counts at that time.
 * Storage goes through an {@link AggregateStore}.
 */
import { randomBytes } from 'node:crypto';
import type { Difference, DifferenceKind } from '../compare/types.js';
import { EndpointNamer, OTHER_ENDPOINT_PATH } from './endpoint.js';
import { DEFAULT_THRESHOLDS, OTHER_FIELD, foldPath, verdict, type NoiseThresholds } from './noise.js';
import { MemoryAggregateStore, fieldKeyOf, type AggregateStore } from './aggregate-store.js';
import { clipValue, compareReports, defaultRedact, endpointReport, type RedactFn } from './aggregate-report.js';
import type {
  AggregateSnapshot, CountedField, EndpointId, EndpointReport, FieldSample, LatencySeries, RecordResult,
  RequestClass, SampleExchange, SampleExchangeParts, ShadowOutcome,
} from './aggregate-types.js';

export type * from './aggregate-types.js';
export { MemoryAggregateStore, type AggregateStore, type FieldTally } from './aggregate-store.js';
export { defaultRedact, clipValue, type RedactFn } from './aggregate-report.js';

/** Options of {@link ShadowAggregator}. */
export interface ShadowAggregatorOptions {
  /** Storage (default: a new {@link MemoryAggregateStore}). */
  store?: AggregateStore;
  /** Names requests whose outcome carries no endpoint (default: a new {@link EndpointNamer}). */
  namer?: EndpointNamer;
  /** Diffy thresholds, fixed or per route (default relative 0.2, absolute 0.0003). */
  thresholds?: NoiseThresholds | ((route: string) => NoiseThresholds);
  /** Distinct (route, endpoint) pairs; past this, new ones count as `METHOD /*other*` (default 1000). */
  maxEndpoints?: number;
  /** Fields per endpoint; past this, new fields count as `*other*` with their kind (default 500). */
  maxFieldsPerEndpoint?: number;
  /** Samples kept per (endpoint, field): the first ones seen (default 5). */
  samplesPerField?: number;
  /** Longest sample value kept, in characters of JSON text (default 512). */
  maxSampleValueLength?: number;
  /** Applied to every sample value before it is kept (default {@link defaultRedact}). */
  redact?: RedactFn;
}

const MAX_SAMPLE_URL = 2048;

/**
 * Aggregates shadow comparison outcomes into the report served by
 * `GET /api/v1/endpoints`.
 *
 * @example
 * ```ts
 * const agg = new ShadowAggregator({ samplesPerField: 5 });
 * const { result, fields } = agg.record({
 *   route: 'api', method: 'GET', url: '/users/17', candidate: 'v2', result: 'compared',
 *   raw: [{ path: 'body.name', kind: 'changed', primary: 'Ada', candidate: 'ada' }], noise: [],
 *   timings: { primary: { ttfb: 10, total: 12 }, candidate: { ttfb: 11, total: 14 } }, at: Date.now(),
 * });
 * // result === 'regression'; fields[0] = { field: 'body.name', kind: 'changed', verdict: 'regression' }
 * agg.endpoints()[0].endpoint; // 'GET /users/:id'
 * ```
 */
export class ShadowAggregator {
  readonly store: AggregateStore;
  readonly namer: EndpointNamer;
  private readonly thresholds: (route: string) => NoiseThresholds;
  private readonly maxEndpoints: number;
  private readonly maxFields: number;
  private readonly samplesPerField: number;
  private readonly maxValue: number;
  /** The redaction applied to every kept value (also used for log lines). */
  readonly redact: RedactFn;
  /**
   * The ids counted under, by route, endpoint and candidate. Each (route, endpoint) pair
   * here counts toward the endpoint cap; each id is made once and reused, so a store
   * makes its key once (see endpointKey), not on every outcome.
   */
  private readonly ids = new Map<string, Map<string, Map<string, EndpointId>>>();
  /** Distinct (route, endpoint) pairs in {@link ids}. */
  private pairs = 0;

  constructor(options: ShadowAggregatorOptions = {}) {
    this.store = options.store ?? new MemoryAggregateStore();
    this.namer = options.namer ?? new EndpointNamer();
    const t = options.thresholds ?? DEFAULT_THRESHOLDS;
    this.thresholds = typeof t === 'function' ? t : () => t;
    this.maxEndpoints = options.maxEndpoints ?? 1000;
    this.maxFields = options.maxFieldsPerEndpoint ?? 500;
    this.samplesPerField = options.samplesPerField ?? 5;
    this.maxValue = options.maxSampleValueLength ?? 512;
    this.redact = options.redact ?? defaultRedact;
    for (const e of this.store.list()) this.idFor(e.route, e.candidate, e.endpoint, '', true);
  }

  /**
   * Counts one outcome and classifies the request: `match` (no raw difference),
   * `regression` (a raw field's verdict, after counting, is regression), `noise`, or
   * `error` / `skipped`. Latencies are recorded for compared and error outcomes.
   *
   * @example
   * ```ts
   * const r = agg.record(outcome);
   * comparisons.inc({ route: outcome.route, endpoint: r.endpoint, result: r.result });
   * for (const f of r.fields) fieldDiffs.inc({ route: outcome.route, endpoint: r.endpoint, field: f.field, verdict: f.verdict });
   * ```
   */
  record(outcome: ShadowOutcome): RecordResult {
    const id = this.idFor(outcome.route, outcome.candidate, outcome.endpoint || this.namer.name(outcome.method, outcome.url), outcome.method);
    const endpoint = id.endpoint;
    if (outcome.result !== 'skipped') this.recordTimings(id, outcome);
    if (outcome.result !== 'compared') {
      const error = outcome.result === 'error';
      this.store.addCounts(id, { requests: 1, errors: error ? 1 : 0, skipped: error ? 0 : 1 });
      return { endpoint, result: outcome.result, fields: [] };
    }
    const counts = this.store.addCounts(id, { requests: 1, compared: 1 });
    const secondary = new Map<string, Difference>();
    if (outcome.noise) {
      const seen = new Set<string>();
      for (const d of outcome.noise) {
        if (!secondary.has(d.path)) secondary.set(d.path, d);
        const f = this.resolveField(id, d.path, d.kind);
        if (seen.has(f.key) || this.store.getMark(id, f.key) === 'ignored') continue;
        seen.add(f.key);
        this.store.addFieldCounts(id, f.key, f, { differences: 0, noise: 1 });
      }
    }
    const thresholds = this.thresholds(outcome.route);
    const fields: CountedField[] = [];
    const seen = new Set<string>();
    let exchange: { id: string; parts: SampleExchangeParts | null; stored: boolean } | undefined;
    for (const d of outcome.raw) {
      const f = this.resolveField(id, d.path, d.kind);
      const mark = this.store.getMark(id, f.key);
      if (seen.has(f.key) || mark === 'ignored') continue;
      seen.add(f.key);
      const tally = this.store.addFieldCounts(id, f.key, f, { differences: 1, noise: 0 });
      const v = mark === 'noise' ? 'noise' : verdict({ raw: tally.differences, noise: tally.noise, requests: counts.compared }, thresholds);
      fields.push({ field: f.path, kind: f.kind, verdict: v });
      if (tally.samples < this.samplesPerField) {
        exchange ??= { id: randomBytes(12).toString('base64url'), parts: outcome.exchange?.() ?? null, stored: false };
        const sample = this.sample(outcome, d, outcome.noise ? secondary : null);
        if (exchange.parts) sample.id = exchange.id;
        if (this.store.addSample(id, f.key, sample, this.samplesPerField) && exchange.parts && !exchange.stored) {
          exchange.stored = true;
          this.store.addExchange(this.exchange(id, exchange.id, exchange.parts, outcome));
        }
      }
    }
    let result: RequestClass = 'match';
    if (fields.length > 0) result = fields.some((f) => f.verdict === 'regression') ? 'regression' : 'noise';
    if (result === 'match') this.store.addCounts(id, { matches: 1 });
    else if (result === 'regression') this.store.addCounts(id, { regressions: 1 });
    return { endpoint, result, fields };
  }

  /**
   * The report: one row per (route, candidate, endpoint), verdicts computed from the
   * current counts, sorted by regressions then requests (both descending).
   *
   * @example
   * ```ts
   * res.end(JSON.stringify(agg.endpoints()));
   * ```
   */
  endpoints(): EndpointReport[] {
    return this.store
      .list()
      .map((e) => endpointReport(e, this.thresholds(e.route)))
      .sort(compareReports);
  }

  /**
   * Everything counted, as JSON-safe data.
   *
   * @example
   * ```ts
   * process.send?.({ type: 'aggregate', snapshot: agg.snapshot() });
   * ```
   */
  snapshot(): AggregateSnapshot {
    return { version: 1, endpoints: this.store.list() };
  }

  /**
   * Replaces everything with a snapshot.
   *
   * @example
   * ```ts
   * agg.restore(JSON.parse(saved));
   * ```
   */
  restore(snapshot: AggregateSnapshot): void {
    check(snapshot);
    this.reset();
    this.merge(snapshot);
  }

  /**
   * Adds a snapshot to what is counted: counters add up, sketches merge, samples fill
   * the free places (own samples first). Caps apply as for recorded outcomes.
   *
   * @example
   * ```ts
   * for (const s of fromWorkers) total.merge(s);
   * ```
   */
  merge(snapshot: AggregateSnapshot): void {
    check(snapshot);
    for (const e of snapshot.endpoints) {
      const method = e.endpoint.split(' ', 1)[0] ?? '';
      const id = this.idFor(e.route, e.candidate, e.endpoint, method);
      this.store.addCounts(id, e.counts);
      for (const field of e.fields) {
        const f = this.resolveField(id, field.path, field.kind, true);
        this.store.addFieldCounts(id, f.key, f, { differences: field.differences, noise: field.noise });
        for (const s of field.samples) {
          if (!this.store.addSample(id, f.key, { ...s }, this.samplesPerField)) break;
        }
      }
      for (const [series, sketch] of Object.entries(e.latency)) {
        if (sketch) this.store.mergeLatency(id, series as LatencySeries, sketch);
      }
    }
  }

  /**
   * Forgets everything counted, and the endpoint names learned by the namer.
   *
   * @example
   * ```ts
   * agg.reset(); // e.g. after deploying a fixed candidate
   * ```
   */
  reset(): void {
    this.store.clear();
    this.ids.clear();
    this.pairs = 0;
    this.namer.reset();
  }

  /**
   * The id an outcome counts under: its endpoint, or once the endpoint cap is reached and
   * the (route, endpoint) pair is new, `METHOD /*other*`. With `always` a new pair is
   * counted whatever the cap (endpoints already in the store).
   */
  private idFor(route: string, candidate: string, endpoint: string, method: string, always = false): EndpointId {
    let byEndpoint = this.ids.get(route);
    if (byEndpoint === undefined) this.ids.set(route, (byEndpoint = new Map()));
    let byCandidate = byEndpoint.get(endpoint);
    if (byCandidate === undefined) {
      const other = `${method.toUpperCase()} ${OTHER_ENDPOINT_PATH}`;
      if (!always && this.pairs >= this.maxEndpoints && endpoint !== other) return this.idFor(route, candidate, other, method);
      this.pairs++;
      byEndpoint.set(endpoint, (byCandidate = new Map()));
    }
    let id = byCandidate.get(candidate);
    if (id === undefined) byCandidate.set(candidate, (id = { route, candidate, endpoint }));
    return id;
  }

  /** The field a difference counts under, applying the field cap. */
  private resolveField(id: EndpointId, path: string, kind: DifferenceKind, folded = false): { key: string; path: string; kind: DifferenceKind } {
    const p = folded ? path : foldPath(path);
    const key = fieldKeyOf({ path: p, kind });
    if (this.store.hasField(id, key) || this.store.fieldCount(id) < this.maxFields) return { key, path: p, kind };
    return { key: fieldKeyOf({ path: OTHER_FIELD, kind }), path: OTHER_FIELD, kind };
  }

  private recordTimings(id: EndpointId, outcome: ShadowOutcome): void {
    for (const backend of ['primary', 'candidate', 'secondary'] as const) {
      const t = outcome.timings[backend];
      if (!t) continue;
      this.store.addLatency(id, `${backend}.ttfb`, t.ttfb);
      this.store.addLatency(id, `${backend}.total`, t.total);
    }
  }

  private exchange(id: EndpointId, exchangeId: string, parts: SampleExchangeParts, outcome: ShadowOutcome): SampleExchange {
    const keep = (path: string, value: unknown): unknown =>
      value === undefined ? undefined : clipValue(this.redact(path, value), this.maxValue).value;
    const differences = outcome.raw.slice(0, 100).map((d): Difference => {
      const primary = keep(d.path, d.primary);
      const candidate = keep(d.path, d.candidate);
      return { path: d.path, kind: d.kind, ...(primary !== undefined ? { primary } : {}), ...(candidate !== undefined ? { candidate } : {}) };
    });
    return { id: exchangeId, source: { ...id }, at: outcome.at, ...parts, differences };
  }

  private sample(outcome: ShadowOutcome, d: Difference, secondary: Map<string, Difference> | null): FieldSample {
    let truncated = false;
    const keep = (value: unknown): unknown => {
      if (value === undefined) return undefined;
      const clipped = clipValue(this.redact(d.path, value), this.maxValue);
      truncated ||= clipped.truncated;
      return clipped.value;
    };
    const primary = keep(d.primary);
    const candidate = keep(d.candidate);
    const other = secondary ? keep(secondary.has(d.path) ? secondary.get(d.path)!.candidate : d.primary) : undefined;
    return {
      method: outcome.method,
      url: outcome.url.slice(0, MAX_SAMPLE_URL),
      path: d.path,
      ...(primary !== undefined ? { primary } : {}),
      ...(candidate !== undefined ? { candidate } : {}),
      ...(other !== undefined ? { secondary: other } : {}),
      ...(truncated ? { truncated } : {}),
      at: outcome.at,
    };
  }
}

function check(snapshot: AggregateSnapshot): void {
  if (snapshot === null || typeof snapshot !== 'object' || snapshot.version !== 1 || !Array.isArray(snapshot.endpoints)) {
    throw new TypeError('invalid aggregate snapshot: expected { version: 1, endpoints: [...] }');
  }
}
