/**
 * Writes waiting for the next flush. Counters are deltas (so several writers add up),
 * latency sketches are merged, samples and exchanges are inserted, marks replace.
 */
import type { DifferenceKind } from '../compare/types.js';
import { endpointKey, zeroCounts, type AggregateStore } from '../report/aggregate-store.js';
import type {
  EndpointCounts, EndpointId, FieldMark, FieldSample, LatencySeries, SampleExchange,
} from '../report/aggregate-types.js';
import { LatencySketch } from '../report/latency.js';

export interface EndpointDelta {
  id: EndpointId;
  counts: EndpointCounts;
}

export interface FieldDelta {
  id: EndpointId;
  key: string;
  path: string;
  kind: DifferenceKind;
  differences: number;
  noise: number;
}

export interface SampleInsert {
  id: EndpointId;
  key: string;
  sample: FieldSample;
  limit: number;
}

export interface LatencyDelta {
  id: EndpointId;
  series: LatencySeries;
  sketch: LatencySketch;
}

export interface MarkChange {
  id: EndpointId;
  key: string;
  mark: FieldMark | null;
  at: number;
}

const sep = '\u0000';

/** A set of pending writes. */
export class Batch {
  /** Delete every result before applying the rest. */
  clearResults = false;
  /** Delete every mark before applying the rest. */
  clearMarks = false;
  /** Every endpoint written to, with its counter deltas (zero when only fields or samples changed). */
  readonly endpoints = new Map<string, EndpointDelta>();
  /** Every field written to, with its deltas (zero when only samples were added). */
  readonly fields = new Map<string, FieldDelta>();
  readonly samples: SampleInsert[] = [];
  readonly latency = new Map<string, LatencyDelta>();
  readonly exchanges = new Map<string, SampleExchange>();
  readonly marks = new Map<string, MarkChange>();
  /** Operations recorded, to decide when to flush early. */
  ops = 0;

  get empty(): boolean {
    return this.ops === 0 && !this.clearResults && !this.clearMarks;
  }

  endpoint(id: EndpointId): EndpointDelta {
    const k = endpointKey(id);
    let e = this.endpoints.get(k);
    if (!e) {
      e = { id: { route: id.route, candidate: id.candidate, endpoint: id.endpoint }, counts: zeroCounts() };
      this.endpoints.set(k, e);
    }
    return e;
  }

  addCounts(id: EndpointId, delta: Partial<EndpointCounts>): void {
    const c = this.endpoint(id).counts;
    for (const k of Object.keys(c) as (keyof EndpointCounts)[]) c[k] += delta[k] ?? 0;
    this.ops++;
  }

  field(id: EndpointId, key: string, path: string, kind: DifferenceKind): FieldDelta {
    this.endpoint(id);
    const k = endpointKey(id) + sep + key;
    let f = this.fields.get(k);
    if (!f) {
      f = { id: this.endpoint(id).id, key, path, kind, differences: 0, noise: 0 };
      this.fields.set(k, f);
    }
    return f;
  }

  addFieldCounts(id: EndpointId, key: string, field: { path: string; kind: DifferenceKind }, delta: { differences: number; noise: number }): void {
    const f = this.field(id, key, field.path, field.kind);
    f.differences += delta.differences;
    f.noise += delta.noise;
    this.ops++;
  }

  addSample(id: EndpointId, key: string, field: { path: string; kind: DifferenceKind }, sample: FieldSample, limit: number): void {
    this.field(id, key, field.path, field.kind);
    this.samples.push({ id: this.endpoint(id).id, key, sample, limit });
    this.ops++;
  }

  addLatency(id: EndpointId, series: LatencySeries, sketch: LatencySketch): void {
    const k = endpointKey(id) + sep + series;
    const l = this.latency.get(k);
    if (l) l.sketch.merge(sketch);
    else this.latency.set(k, { id: this.endpoint(id).id, series, sketch });
    this.ops++;
  }

  addLatencyValue(id: EndpointId, series: LatencySeries, value: number): void {
    const k = endpointKey(id) + sep + series;
    let l = this.latency.get(k);
    if (!l) {
      l = { id: this.endpoint(id).id, series, sketch: new LatencySketch() };
      this.latency.set(k, l);
    }
    l.sketch.add(value);
    this.ops++;
  }

  addExchange(exchange: SampleExchange): void {
    this.exchanges.set(exchange.id, exchange);
    this.ops++;
  }

  setMark(id: EndpointId, key: string, mark: FieldMark | null, at: number): void {
    this.marks.set(endpointKey(id) + sep + key, { id: { ...id }, key, mark, at });
    this.ops++;
  }

  /** Endpoints sorted by key, so that concurrent writers lock rows in the same order. */
  sortedEndpoints(): EndpointDelta[] {
    return [...this.endpoints.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /** Fields sorted by endpoint and key. */
  sortedFields(): FieldDelta[] {
    return [...this.fields.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /** Latency deltas sorted by endpoint and series. */
  sortedLatency(): LatencyDelta[] {
    return [...this.latency.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /**
   * Applies these writes to a cache (after it was reloaded from the database, so that
   * writes not yet flushed stay visible).
   */
  replay(into: AggregateStore): void {
    if (this.clearResults) into.clear();
    if (this.clearMarks) into.clearMarks();
    for (const e of this.endpoints.values()) into.addCounts(e.id, e.counts);
    for (const f of this.fields.values()) into.addFieldCounts(f.id, f.key, f, f);
    for (const s of this.samples) into.addSample(s.id, s.key, s.sample, s.limit);
    for (const l of this.latency.values()) into.mergeLatency(l.id, l.series, l.sketch.toJSON());
    for (const m of this.marks.values()) into.setMark(m.id, m.key, m.mark);
  }

  /**
   * Puts the writes of an older batch (one whose flush failed) before these. When this
   * batch clears results, the older results are dropped; likewise for marks.
   */
  absorbOlder(older: Batch): void {
    const olderFirst = <K, V>(mine: Map<K, V>, theirs: Map<K, V>, merge: (a: V, b: V) => void): void => {
      for (const [k, v] of theirs) {
        const m = mine.get(k);
        if (m === undefined) mine.set(k, v);
        else merge(m, v);
      }
    };
    if (!this.clearResults) {
      this.clearResults = older.clearResults;
      olderFirst(this.endpoints, older.endpoints, (a, b) => {
        for (const k of Object.keys(a.counts) as (keyof EndpointCounts)[]) a.counts[k] += b.counts[k];
      });
      olderFirst(this.fields, older.fields, (a, b) => {
        a.differences += b.differences;
        a.noise += b.noise;
      });
      this.samples.unshift(...older.samples);
      olderFirst(this.latency, older.latency, (a, b) => a.sketch.merge(b.sketch));
      for (const [k, v] of older.exchanges) if (!this.exchanges.has(k)) this.exchanges.set(k, v);
    }
    if (!this.clearMarks) {
      this.clearMarks = older.clearMarks;
      for (const [k, v] of older.marks) if (!this.marks.has(k)) this.marks.set(k, v);
    }
    this.ops += older.ops;
  }
}
