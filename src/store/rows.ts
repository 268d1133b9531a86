/**
 * Conversions between database rows and the aggregate's shapes, shared by both stores.
 * Numbers may arrive as strings (PostgreSQL `BIGINT`); they are converted here.
 */
import { zeroCounts } from '../report/aggregate-store.js';
import type { EndpointCounts, EndpointSnapshot, FieldMark, FieldSample, LatencySeries, MarkEntry } from '../report/aggregate-types.js';
import type { DifferenceKind } from '../compare/types.js';
import type { LatencySketchJSON } from '../report/latency.js';
import type { Loaded } from './write-behind.js';

type Num = number | string;

export interface EndpointRow {
  id: Num;
  route: string;
  candidate: string;
  endpoint: string;
  requests: Num;
  compared: Num;
  errors: Num;
  skipped: Num;
  matches: Num;
  regressions: Num;
}

export interface FieldRow {
  endpoint_id: Num;
  key: string;
  path: string;
  kind: string;
  differences: Num;
  noise: Num;
}

export interface SampleRow {
  endpoint_id: Num;
  key: string;
  data: string;
}

export interface LatencyRow {
  endpoint_id: Num;
  series: string;
  alpha: Num;
  count: Num;
  sum: Num;
  min: Num;
  max: Num;
  zero: Num;
}

export interface BucketRow {
  endpoint_id: Num;
  series: string;
  bucket: Num;
  count: Num;
}

export interface MarkRow {
  route: string;
  candidate: string;
  endpoint: string;
  key: string;
  mark: string;
  at: Num;
}

export const COUNTER_NAMES = Object.keys(zeroCounts()) as (keyof EndpointCounts)[];

/** Builds the loaded aggregate from all rows (samples in insertion order). */
export function assemble(rows: {
  endpoints: EndpointRow[];
  fields: FieldRow[];
  samples: SampleRow[];
  latency: LatencyRow[];
  buckets: BucketRow[];
  marks: MarkRow[];
}): Loaded {
  const byId = new Map<string, EndpointSnapshot>();
  for (const r of rows.endpoints) {
    const counts = zeroCounts();
    for (const c of COUNTER_NAMES) counts[c] = Number(r[c]);
    byId.set(String(r.id), { route: r.route, candidate: r.candidate, endpoint: r.endpoint, counts, fields: [], latency: {} });
  }
  const fields = new Map<string, EndpointSnapshot['fields'][number]>();
  for (const r of rows.fields) {
    const e = byId.get(String(r.endpoint_id));
    if (!e) continue;
    const f = { path: r.path, kind: r.kind as DifferenceKind, differences: Number(r.differences), noise: Number(r.noise), samples: [] as FieldSample[] };
    e.fields.push(f);
    fields.set(`${r.endpoint_id}\u0000${r.key}`, f);
  }
  for (const r of rows.samples) {
    const f = fields.get(`${r.endpoint_id}\u0000${r.key}`);
    if (!f) continue;
    try {
      f.samples.push(JSON.parse(r.data) as FieldSample);
    } catch {
      // a damaged sample is skipped
    }
  }
  const buckets = new Map<string, BucketRow[]>();
  for (const b of rows.buckets) {
    const k = `${b.endpoint_id}\u0000${b.series}`;
    let list = buckets.get(k);
    if (!list) buckets.set(k, (list = []));
    list.push(b);
  }
  for (const r of rows.latency) {
    const e = byId.get(String(r.endpoint_id));
    if (!e || Number(r.count) === 0) continue;
    e.latency[r.series as LatencySeries] = sketchJson(r, buckets.get(`${r.endpoint_id}\u0000${r.series}`) ?? []);
  }
  const marks: MarkEntry[] = rows.marks
    .filter((m) => m.mark === 'noise' || m.mark === 'ignored')
    .map((m) => ({ route: m.route, candidate: m.candidate, endpoint: m.endpoint, field: m.key, mark: m.mark as FieldMark, at: Number(m.at) }));
  return { endpoints: [...byId.values()], marks };
}

function sketchJson(r: LatencyRow, rows: BucketRow[]): LatencySketchJSON {
  let offset = 0;
  let counts: number[] = [];
  if (rows.length > 0) {
    const idx = rows.map((b) => Number(b.bucket));
    offset = Math.min(...idx);
    counts = new Array<number>(Math.max(...idx) - offset + 1).fill(0);
    rows.forEach((b, i) => (counts[idx[i] - offset] += Number(b.count)));
  }
  return {
    v: 1, alpha: Number(r.alpha), count: Number(r.count), sum: Number(r.sum), min: Number(r.min), max: Number(r.max),
    zero: Number(r.zero), offset, counts,
  };
}

/** The non-empty buckets of a sketch, as (bucket index, count) pairs. */
export function sketchBuckets(json: LatencySketchJSON): [number, number][] {
  const out: [number, number][] = [];
  json.counts.forEach((c, i) => {
    if (c > 0) out.push([json.offset + i, c]);
  });
  return out;
}
