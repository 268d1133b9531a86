/**
 * The synchronous store interface in front of a database: every write updates an
 * in-memory cache at once and joins a pending {@link Batch}; batches are flushed in one
 * transaction every `flushInterval` ms (or sooner when large), off the request path. The
 * cache is reloaded from the database periodically, then the writes not yet flushed are
 * applied on top, so reads always include them.
 */
import type { DifferenceKind } from '../compare/types.js';
import { MemoryAggregateStore, fieldKeyOf } from '../report/aggregate-store.js';
import type { FieldTally } from '../report/aggregate-store.js';
import type {
  EndpointCounts, EndpointId, EndpointSnapshot, FieldMark, FieldSample, LatencySeries, MarkEntry, SampleExchange,
} from '../report/aggregate-types.js';
import { LatencySketch, type LatencySketchJSON } from '../report/latency.js';
import { Batch } from './batch.js';
import { DEFAULT_MAX_AGE, DEFAULT_MAX_SAMPLES, type PersistentStore, type StoreOptions } from './types.js';

/** What a database holds, as loaded into the cache. */
export interface Loaded {
  endpoints: EndpointSnapshot[];
  marks: MarkEntry[];
}

/** Settings with their defaults applied. */
export interface Settings {
  maxAge: number;
  maxSamples: number;
  flushInterval: number;
  flushBatch: number;
  refreshInterval: number;
  retentionInterval: number;
  onError: (err: Error, what: string) => void;
  now: () => number;
}

export function settings(options: StoreOptions, refreshDefault: number): Settings {
  return {
    maxAge: options.retention?.maxAge ?? DEFAULT_MAX_AGE,
    maxSamples: options.retention?.maxSamples ?? DEFAULT_MAX_SAMPLES,
    flushInterval: options.flushInterval ?? 250,
    flushBatch: options.flushBatch ?? 1000,
    refreshInterval: options.refreshInterval ?? refreshDefault,
    retentionInterval: options.retentionInterval ?? 60_000,
    onError: options.onError ?? (() => {}),
    now: options.now ?? Date.now,
  };
}

/** Splits a field key `path|kind` (kinds never contain `|`). */
export function splitFieldKey(key: string): { path: string; kind: DifferenceKind } {
  const i = key.lastIndexOf('|');
  return { path: key.slice(0, i), kind: key.slice(i + 1) as DifferenceKind };
}

/** A cache filled from loaded rows. */
export function cacheOf(loaded: Loaded): MemoryAggregateStore {
  const cache = new MemoryAggregateStore({ maxExchanges: 0 });
  for (const e of loaded.endpoints) {
    cache.addCounts(e, e.counts);
    for (const f of e.fields) {
      const key = fieldKeyOf(f);
      cache.addFieldCounts(e, key, f, f);
      for (const s of f.samples) cache.addSample(e, key, s, Infinity);
    }
    for (const [series, json] of Object.entries(e.latency)) if (json) cache.mergeLatency(e, series as LatencySeries, json);
  }
  for (const m of loaded.marks) cache.setMark(m, m.field, m.mark, m.at);
  return cache;
}

/** The shared part of the SQLite and PostgreSQL stores. */
export abstract class WriteBehindStore implements PersistentStore {
  abstract readonly kind: 'sqlite' | 'postgres';
  abstract readonly location: string;
  protected cache = new MemoryAggregateStore({ maxExchanges: 0 });
  protected pending = new Batch();
  protected inflight: Batch | null = null;
  protected closed = false;
  private chain: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private flushQueued = false;

  constructor(protected readonly settings: Settings) {}

  /** Writes one batch in one transaction. */
  protected abstract write(batch: Batch): Promise<void>;
  /** Reads everything. */
  protected abstract load(): Promise<Loaded>;
  /** Reads one exchange. */
  protected abstract readExchange(id: string): Promise<SampleExchange | undefined>;
  /** Deletes what retention says; resolves with the number of samples deleted. */
  protected abstract retain(now: number): Promise<number>;
  /** Releases the database. */
  protected abstract release(): Promise<void>;

  /** Starts the flush, refresh and retention timers. */
  protected startTimers(refresh: boolean): void {
    const every = (ms: number, fn: () => void) => {
      if (ms > 0) this.timers.push(setInterval(fn, ms).unref());
    };
    every(this.settings.flushInterval, () => void this.flush());
    if (refresh) every(this.settings.refreshInterval, () => void this.refresh());
    every(this.settings.retentionInterval, () => void this.applyRetention());
  }

  /** Runs `op` after every operation already queued; errors go to `onError`. */
  protected serial<T>(what: string, op: () => Promise<T>, fallback: T): Promise<T> {
    const run = this.chain.then(op).catch((err: unknown) => {
      this.settings.onError(err instanceof Error ? err : new Error(String(err)), what);
      return fallback;
    });
    this.chain = run;
    return run;
  }

  private wrote(): void {
    if (this.pending.ops >= this.settings.flushBatch && !this.flushQueued && !this.closed) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        void this.flush();
      });
    }
  }

  /** Writes the pending batch; on failure it goes back in front of the next one. */
  protected async flushNow(): Promise<void> {
    if (this.pending.empty) return;
    const batch = this.pending;
    this.pending = new Batch();
    this.inflight = batch;
    try {
      await this.write(batch);
    } catch (err) {
      this.pending.absorbOlder(batch);
      throw err;
    } finally {
      this.inflight = null;
    }
  }

  /** Reloads the cache from the database and applies what is still pending. */
  protected async refreshNow(): Promise<void> {
    await this.flushNow();
    const cache = cacheOf(await this.load());
    this.pending.replay(cache);
    this.cache = cache;
  }

  flush(): Promise<void> {
    return this.serial('flush', () => this.flushNow(), undefined);
  }

  refresh(): Promise<void> {
    return this.serial('refresh', () => this.refreshNow(), undefined);
  }

  applyRetention(): Promise<number> {
    return this.serial(
      'retention',
      async () => {
        await this.flushNow();
        const n = await this.retain(this.settings.now());
        await this.refreshNow();
        return n;
      },
      0,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.flush();
    await this.chain;
    await this.release();
  }

  getCounts(id: EndpointId): EndpointCounts | undefined {
    return this.cache.getCounts(id);
  }

  addCounts(id: EndpointId, delta: Partial<EndpointCounts>): EndpointCounts {
    this.pending.addCounts(id, delta);
    this.wrote();
    return this.cache.addCounts(id, delta);
  }

  hasField(id: EndpointId, key: string): boolean {
    return this.cache.hasField(id, key);
  }

  fieldCount(id: EndpointId): number {
    return this.cache.fieldCount(id);
  }

  addFieldCounts(id: EndpointId, key: string, field: { path: string; kind: DifferenceKind }, delta: { differences: number; noise: number }): FieldTally {
    this.pending.addFieldCounts(id, key, field, delta);
    this.wrote();
    return this.cache.addFieldCounts(id, key, field, delta);
  }

  addSample(id: EndpointId, key: string, sample: FieldSample, limit: number): boolean {
    if (!this.cache.addSample(id, key, sample, limit)) return false;
    this.pending.addSample(id, key, splitFieldKey(key), sample, limit);
    this.wrote();
    return true;
  }

  addLatency(id: EndpointId, series: LatencySeries, value: number): void {
    this.cache.addLatency(id, series, value);
    this.pending.addLatencyValue(id, series, value);
    this.wrote();
  }

  mergeLatency(id: EndpointId, series: LatencySeries, sketch: LatencySketchJSON): void {
    this.cache.mergeLatency(id, series, sketch);
    this.pending.addLatency(id, series, LatencySketch.fromJSON(sketch));
    this.wrote();
  }

  list(): EndpointSnapshot[] {
    return this.cache.list();
  }

  clear(): void {
    const old = this.pending;
    this.pending = new Batch();
    this.pending.clearResults = true;
    this.pending.clearMarks = old.clearMarks;
    for (const [k, m] of old.marks) this.pending.marks.set(k, m);
    this.pending.ops = 1 + old.marks.size;
    this.cache.clear();
    this.wrote();
  }

  addExchange(exchange: SampleExchange): void {
    this.pending.addExchange(exchange);
    this.wrote();
  }

  async getExchange(id: string): Promise<SampleExchange | undefined> {
    const local = this.pending.exchanges.get(id) ?? this.inflight?.exchanges.get(id);
    if (local) return local;
    await this.serial('read', () => Promise.resolve(), undefined);
    return this.readExchange(id);
  }

  getMark(id: EndpointId, key: string): FieldMark | undefined {
    return this.cache.getMark(id, key);
  }

  setMark(id: EndpointId, key: string, mark: FieldMark | null): void {
    const at = this.settings.now();
    this.cache.setMark(id, key, mark, at);
    this.pending.setMark(id, key, mark, at);
    this.wrote();
  }

  marks(): MarkEntry[] {
    return this.cache.marks();
  }

  clearMarks(): void {
    this.cache.clearMarks();
    this.pending.marks.clear();
    this.pending.clearMarks = true;
    this.pending.ops++;
    this.wrote();
  }
}
