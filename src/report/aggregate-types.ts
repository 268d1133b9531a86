/**
 * Types of the shadow-report aggregation: what goes in ({@link ShadowOutcome}), what the
 * admin API serves ({@link EndpointReport}) and what is persisted or exchanged between
 * worker processes ({@link AggregateSnapshot}).
 */
import type { Difference, DifferenceKind } from '../compare/types.js';
import type { LatencySketchJSON, LatencySummary } from './latency.js';
import type { Verdict } from './noise.js';

/** Time to first byte and total time of one backend's response, in ms. */
export interface BackendTiming {
  ttfb: number;
  total: number;
}

/** One shadowed request as the proxy saw it, for one candidate. */
export interface ShadowOutcome {
  /** Route name. */
  route: string;
  /** Endpoint name (fixed by the route or from an `EndpointNamer`); inferred from method and url when empty. */
  endpoint?: string;
  /** Request method. */
  method: string;
  /** Request target as received (path and query). */
  url: string;
  /** Candidate name. */
  candidate: string;
  /** `compared`: both answers were compared; `error`: a shadow backend or the comparison failed; `skipped`: not compared (e.g. queue full, or the client left before the primary answer ended). */
  result: 'compared' | 'error' | 'skipped';
  /** Differences between primary and candidate. */
  raw: Difference[];
  /** Differences between primary and secondary; `null` when there is no secondary. */
  noise: Difference[] | null;
  /** Timings of the backends that answered, in ms. */
  timings: { primary: BackendTiming; candidate?: BackendTiming; secondary?: BackendTiming };
  /** When the request arrived, epoch ms. */
  at: number;
  /**
   * Builds the request and both full responses (redacted, decoded, capped) of this
   * outcome. Called at most once, and only when one of its differences is kept as a
   * sample; `null` when they are not available.
   */
  exchange?: () => SampleExchangeParts | null;
}

/** A user's decision about a field: `noise` forces the verdict noise, `ignored` drops the field before counting. */
export type FieldMark = 'noise' | 'ignored';

/** A mark as stored, with the endpoint and field key (`path|kind`) it applies to. */
export interface MarkEntry extends EndpointId {
  field: string;
  mark: FieldMark;
  /** When it was set, epoch ms. */
  at: number;
}

/** One backend's response as kept with a sample: headers redacted, body decoded, redacted and capped. */
export interface ResponseView {
  status: number;
  headers: Record<string, string | string[]>;
  /** `json`: `body` is the parsed value; `text`: a string; `binary`, `empty`, `omitted`: `body` is null. */
  bodyType: 'json' | 'text' | 'binary' | 'empty' | 'omitted';
  body: unknown;
  /** Bytes of the body as received (before decoding). */
  size: number;
  /** True when the body kept is shorter than the one received. */
  truncated: boolean;
  /** Why the body was omitted or shown differently, when it was. */
  note?: string;
}

/** The request and both responses of a sampled exchange. */
export interface SampleExchangeParts {
  request: { method: string; url: string; headers: Record<string, string | string[]> };
  primary: ResponseView;
  candidate: ResponseView;
}

/** A sampled exchange as stored: what {@link FieldSample.id} points at. */
export interface SampleExchange extends SampleExchangeParts {
  id: string;
  /** The endpoint whose sample this is. */
  source: EndpointId;
  /** When the request arrived, epoch ms. */
  at: number;
  /** The raw differences of the request (values redacted and clipped; at most 100). */
  differences: Difference[];
}

/** How one request is classified. */
export type RequestClass = 'match' | 'regression' | 'noise' | 'error' | 'skipped';

/** One field counted for a request, with its verdict after counting. */
export interface CountedField {
  /** Folded path (array indexes as `[*]`), or `*other*` past the field cap. */
  field: string;
  kind: DifferenceKind;
  verdict: Verdict;
}

/** What {@link ShadowAggregator.record} returns: enough for the Prometheus counters. */
export interface RecordResult {
  /** The endpoint name the request was counted under. */
  endpoint: string;
  result: RequestClass;
  /** The raw (primary vs candidate) fields counted, once each. */
  fields: CountedField[];
}

/** One kept example of a field's difference. Values are redacted and truncated. */
export interface FieldSample {
  /** Id of the stored exchange (request and both full responses), when one was kept. */
  id?: string;
  method: string;
  url: string;
  /** The concrete path of the difference, array indexes included. */
  path: string;
  /** Primary's value; absent when the field is missing on the primary. */
  primary?: unknown;
  /** Candidate's value; absent when the field is missing on the candidate. */
  candidate?: unknown;
  /** Secondary's value (equal to primary's when the secondary agreed); absent without secondary. */
  secondary?: unknown;
  /** True when a value was too long and was cut (it is then a JSON text ending in `…`). */
  truncated?: boolean;
  /** When the request arrived, epoch ms. */
  at: number;
}

/** The counters of one endpoint. */
export interface EndpointCounts {
  /** Every shadowed request recorded. */
  requests: number;
  compared: number;
  errors: number;
  skipped: number;
  /** Compared requests without any raw difference. */
  matches: number;
  /** Requests classified `regression` when they were recorded. */
  regressions: number;
}

/** The counters of one field of one endpoint. */
export interface FieldRecord {
  path: string;
  kind: DifferenceKind;
  /** Requests with this field in the raw differences. */
  differences: number;
  /** Requests with this field in the noise differences. */
  noise: number;
  samples: FieldSample[];
  /** The user's mark, when the field has one. */
  mark?: FieldMark;
}

/** Which latency series: backend and measure. */
export type LatencySeries =
  | 'primary.ttfb' | 'primary.total'
  | 'candidate.ttfb' | 'candidate.total'
  | 'secondary.ttfb' | 'secondary.total';

/** What identifies an aggregated endpoint. */
export interface EndpointId {
  route: string;
  candidate: string;
  endpoint: string;
}

/** One endpoint as persisted and exchanged: counters, fields and latency sketches. */
export interface EndpointSnapshot extends EndpointId {
  counts: EndpointCounts;
  fields: FieldRecord[];
  latency: Partial<Record<LatencySeries, LatencySketchJSON>>;
}

/** The whole aggregate as JSON, for the store and for merging across worker processes. */
export interface AggregateSnapshot {
  version: 1;
  endpoints: EndpointSnapshot[];
}

/** A field in the report, with its verdict computed from the current counts. */
export interface FieldReport {
  path: string;
  kind: DifferenceKind;
  differences: number;
  noise: number;
  verdict: Verdict;
  samples: FieldSample[];
  /** The user's mark, when the field has one (the verdict is then `noise`). */
  mark?: FieldMark;
}

/** TTFB and total time of one backend. */
export interface BackendLatency {
  ttfb: LatencySummary;
  total: LatencySummary;
}

/** Latency of the endpoint per backend, and candidate/primary ratios of total time. */
export interface LatencyReport {
  primary: BackendLatency;
  candidate: BackendLatency;
  /** Present when a secondary answered. */
  secondary?: BackendLatency;
  /** Candidate total time divided by primary total time per quantile; `null` when not computable. */
  ratio: { p50: number | null; p90: number | null; p99: number | null };
}

/** One row of `GET /api/v1/endpoints`. */
export interface EndpointReport extends EndpointCounts {
  endpoint: string;
  route: string;
  candidate: string;
  fields: FieldReport[];
  latency: LatencyReport;
}
