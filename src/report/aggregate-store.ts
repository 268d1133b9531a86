/**
 * Where the aggregate lives. {@link ShadowAggregator} only talks to an
 * {@link AggregateStore}; {@link MemoryAggregateStore} keeps everything in process. A
 * persistent store (SQLite, PostgreSQL) implements the same operations, synchronously:
 * either directly (better-sqlite3) or as a write-behind cache in front of the database.
 */
import type { DifferenceKind } from '../compare/types.js';
import type {
  EndpointCounts, EndpointId, EndpointSnapshot, FieldMark, FieldRecord, FieldSample, LatencySeries, MarkEntry,
  SampleExchange,
} from './aggregate-types.js';
import { LatencySketch, type LatencySketchJSON } from './latency.js';

/** A field's counters after an update, and how many samples it holds. */
export interface FieldTally {
  differences: number;
  noise: number;
  samples: number;
}

/** The operations the aggregator needs from its storage. Every update creates what is missing. */
export interface AggregateStore {
  /** Counters of an endpoint, or `undefined` when it was never recorded. */
  getCounts(id: EndpointId): EndpointCounts | undefined;
  /** Adds to an endpoint's counters; returns them after the update. */
  addCounts(id: EndpointId, delta: Partial<EndpointCounts>): EndpointCounts;
  /** Whether the endpoint has a field with this key. */
  hasField(id: EndpointId, key: string): boolean;
  /** Number of fields of the endpoint (0 when unknown). */
  fieldCount(id: EndpointId): number;
  /** Adds to a field's counters; returns them after the update. */
  addFieldCounts(id: EndpointId, key: string, field: { path: string; kind: DifferenceKind }, delta: { differences: number; noise: number }): FieldTally;
  /** Keeps a sample when the field holds fewer than `limit`; returns whether it was kept. */
  addSample(id: EndpointId, key: string, sample: FieldSample, limit: number): boolean;
  /** Adds one latency value (ms) to a series. */
  addLatency(id: EndpointId, series: LatencySeries, value: number): void;
  /** Merges a serialized sketch into a series. */
  mergeLatency(id: EndpointId, series: LatencySeries, sketch: LatencySketchJSON): void;
  /** Every endpoint, as independent copies (fields carry their mark). */
  list(): EndpointSnapshot[];
  /** Removes every result: counters, fields, samples, exchanges and latency. Marks stay. */
  clear(): void;
  /** Keeps the request and full responses that samples point at (by {@link SampleExchange.id}). */
  addExchange(exchange: SampleExchange): void;
  /** A kept exchange, or `undefined` when unknown or no longer kept. */
  getExchange(id: string): Promise<SampleExchange | undefined>;
  /** The mark of a field (`key` is `path|kind`), if any. */
  getMark(id: EndpointId, key: string): FieldMark | undefined;
  /** Sets (or with `null` removes) the mark of a field. */
  setMark(id: EndpointId, key: string, mark: FieldMark | null): void;
  /** Every mark. */
  marks(): MarkEntry[];
  /** Removes every mark. */
  clearMarks(): void;
}

/** A fresh set of endpoint counters, all zero. */
export function zeroCounts(): EndpointCounts {
  return { requests: 0, compared: 0, errors: 0, skipped: 0, matches: 0, regressions: 0 };
}

interface Entry {
  id: EndpointId;
  counts: EndpointCounts;
  fields: Map<string, FieldRecord>;
  latency: Map<LatencySeries, LatencySketch>;
}

function markKey(id: EndpointId, key: string): string {
  return `${endpointKey(id)}\u0000${key}`;
}

/**
 * The aggregation key of a field: its folded path (see foldPath) and its kind. Two
 * differences with the same key in one request count once.
 *
 * @example
 * ```ts
 * fieldKeyOf({ path: foldPath('body.items[3].id'), kind: 'changed' }); // 'body.items[*].id|changed'
 * ```
 */
export function fieldKeyOf(f: { path: string; kind: DifferenceKind }): string {
  return `${f.path}|${f.kind}`;
}

/**
 * Keys already made, per id object: recording one outcome looks its endpoint up about ten
 * times with the same id, and the JSON.stringify of each lookup was 2% of the event loop
 * under 100% shadowing.
 */
const keyCache = new WeakMap<EndpointId, string>();

/** The key of an endpoint in maps: unambiguous whatever the names contain. */
export function endpointKey(id: EndpointId): string {
  let key = keyCache.get(id);
  if (key === undefined) {
    key = JSON.stringify([id.route, id.candidate, id.endpoint]);
    keyCache.set(id, key);
  }
  return key;
}

/**
 * An {@link AggregateStore} in process memory.
 *
 * @example
 * ```ts
 * const store = new MemoryAggregateStore();
 * const agg = new ShadowAggregator({ store });
 * ```
 */
export class MemoryAggregateStore implements AggregateStore {
  private readonly entries = new Map<string, Entry>();
  private readonly markMap = new Map<string, MarkEntry>();
  private readonly exchanges = new Map<string, SampleExchange>();

  /** `maxExchanges`: exchanges kept at most, the oldest go first (default 1000; 0 keeps none). */
  constructor(private readonly options: { maxExchanges?: number } = {}) {}

  /** @inheritDoc */
  getCounts(id: EndpointId): EndpointCounts | undefined {
    const e = this.entries.get(endpointKey(id));
    return e ? { ...e.counts } : undefined;
  }

  /** @inheritDoc */
  addCounts(id: EndpointId, delta: Partial<EndpointCounts>): EndpointCounts {
    const c = this.entry(id).counts;
    for (const k of Object.keys(c) as (keyof EndpointCounts)[]) c[k] += delta[k] ?? 0;
    return { ...c };
  }

  /** @inheritDoc */
  hasField(id: EndpointId, key: string): boolean {
    return this.entries.get(endpointKey(id))?.fields.has(key) ?? false;
  }

  /** @inheritDoc */
  fieldCount(id: EndpointId): number {
    return this.entries.get(endpointKey(id))?.fields.size ?? 0;
  }

  /** @inheritDoc */
  addFieldCounts(id: EndpointId, key: string, field: { path: string; kind: DifferenceKind }, delta: { differences: number; noise: number }): FieldTally {
    const fields = this.entry(id).fields;
    let f = fields.get(key);
    if (!f) {
      f = { path: field.path, kind: field.kind, differences: 0, noise: 0, samples: [] };
      fields.set(key, f);
    }
    f.differences += delta.differences;
    f.noise += delta.noise;
    return { differences: f.differences, noise: f.noise, samples: f.samples.length };
  }

  /** @inheritDoc */
  addSample(id: EndpointId, key: string, sample: FieldSample, limit: number): boolean {
    const f = this.entries.get(endpointKey(id))?.fields.get(key);
    if (!f || f.samples.length >= limit) return false;
    f.samples.push(sample);
    return true;
  }

  /** @inheritDoc */
  addLatency(id: EndpointId, series: LatencySeries, value: number): void {
    this.sketch(id, series).add(value);
  }

  /** @inheritDoc */
  mergeLatency(id: EndpointId, series: LatencySeries, sketch: LatencySketchJSON): void {
    this.sketch(id, series).merge(LatencySketch.fromJSON(sketch));
  }

  /** @inheritDoc */
  list(): EndpointSnapshot[] {
    return [...this.entries.values()].map((e) => {
      const latency: EndpointSnapshot['latency'] = {};
      for (const [series, sketch] of e.latency) latency[series] = sketch.toJSON();
      return {
        ...e.id,
        counts: { ...e.counts },
        fields: [...e.fields.values()].map((f) => {
          const mark = this.markMap.get(markKey(e.id, fieldKeyOf(f)))?.mark;
          return { ...f, samples: f.samples.map((s) => ({ ...s })), ...(mark ? { mark } : {}) };
        }),
        latency,
      };
    });
  }

  /** @inheritDoc */
  clear(): void {
    this.entries.clear();
    this.exchanges.clear();
  }

  /** @inheritDoc */
  addExchange(exchange: SampleExchange): void {
    const max = this.options.maxExchanges ?? 1000;
    if (max <= 0) return;
    this.exchanges.set(exchange.id, exchange);
    while (this.exchanges.size > max) this.exchanges.delete(this.exchanges.keys().next().value!);
  }

  /** @inheritDoc */
  getExchange(id: string): Promise<SampleExchange | undefined> {
    return Promise.resolve(this.exchanges.get(id));
  }

  /** @inheritDoc */
  getMark(id: EndpointId, key: string): FieldMark | undefined {
    return this.markMap.size === 0 ? undefined : this.markMap.get(markKey(id, key))?.mark;
  }

  /** @inheritDoc */
  setMark(id: EndpointId, key: string, mark: FieldMark | null, at = Date.now()): void {
    const k = markKey(id, key);
    if (mark === null) this.markMap.delete(k);
    else this.markMap.set(k, { route: id.route, candidate: id.candidate, endpoint: id.endpoint, field: key, mark, at });
  }

  /** @inheritDoc */
  marks(): MarkEntry[] {
    return [...this.markMap.values()].map((m) => ({ ...m }));
  }

  /** @inheritDoc */
  clearMarks(): void {
    this.markMap.clear();
  }

  private entry(id: EndpointId): Entry {
    const key = endpointKey(id);
    let e = this.entries.get(key);
    if (!e) {
      e = { id: { route: id.route, candidate: id.candidate, endpoint: id.endpoint }, counts: zeroCounts(), fields: new Map(), latency: new Map() };
      this.entries.set(key, e);
    }
    return e;
  }

  private sketch(id: EndpointId, series: LatencySeries): LatencySketch {
    const latency = this.entry(id).latency;
    let s = latency.get(series);
    if (!s) {
      s = new LatencySketch();
      latency.set(series, s);
    }
    return s;
  }
}
