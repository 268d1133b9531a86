/**
 * Pure helpers of the aggregation: building report rows from stored endpoints (verdicts
 * are computed here, at read time, from the current counts) and preparing sample values
 * (redaction, truncation).
 */
import type {
  BackendLatency, EndpointReport, EndpointSnapshot, FieldReport, LatencyReport, LatencySeries,
} from './aggregate-types.js';
import { LatencySketch, round3, type LatencySummary } from './latency.js';
import { verdict, type NoiseThresholds } from './noise.js';

/** Turns a sample value into what is kept; `path` is the concrete difference path. */
export type RedactFn = (path: string, value: unknown) => unknown;

const SENSITIVE_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'proxy-authorization']);

/** What redacted values are replaced with. */
export const REDACTED = '[redacted]';

/**
 * The default redaction: the values of the headers `authorization`, `cookie`,
 * `set-cookie` and `proxy-authorization` (paths `header.<name>`) become `[redacted]`;
 * everything else is kept.
 *
 * @example
 * ```ts
 * defaultRedact('header.authorization', 'Bearer abc'); // '[redacted]'
 * defaultRedact('body.name', 'Ada');                   // 'Ada'
 * ```
 */
export function defaultRedact(path: string, value: unknown): unknown {
  if (value === undefined) return value;
  if (path.toLowerCase().startsWith('header.') && SENSITIVE_HEADERS.has(path.slice(7).toLowerCase())) return REDACTED;
  return value;
}

/**
 * A value as kept in a sample: a detached JSON-safe copy when its JSON text has at most
 * `max` characters; otherwise a string cut to `max` characters followed by `…` (long
 * strings are cut as they are, other values as their JSON text).
 *
 * @example
 * ```ts
 * clipValue({ a: 1 }, 512);         // { value: { a: 1 }, truncated: false }
 * clipValue('x'.repeat(600), 512);  // { value: 'xxx…', truncated: true }
 * ```
 */
export function clipValue(value: unknown, max: number): { value: unknown; truncated: boolean } {
  if (value === undefined) return { value, truncated: false };
  if (typeof value === 'string') {
    return value.length <= max ? { value, truncated: false } : { value: value.slice(0, max) + '…', truncated: true };
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    const s = String(value);
    return s.length <= max ? { value: s, truncated: false } : { value: s.slice(0, max) + '…', truncated: true };
  }
  if (text.length <= max) return { value: JSON.parse(text) as unknown, truncated: false };
  return { value: text.slice(0, max) + '…', truncated: true };
}

function backend(snapshot: EndpointSnapshot, name: 'primary' | 'candidate' | 'secondary'): BackendLatency {
  const summary = (series: LatencySeries): LatencySummary => {
    const json = snapshot.latency[series];
    return (json ? LatencySketch.fromJSON(json) : new LatencySketch()).summary();
  };
  return { ttfb: summary(`${name}.ttfb`), total: summary(`${name}.total`) };
}

function ratio(c: number | null, p: number | null): number | null {
  return c === null || p === null || p <= 0 ? null : round3(c / p);
}

/**
 * The latency part of a report row: summaries per backend and candidate/primary ratios of
 * total time.
 *
 * @example
 * ```ts
 * latencyReport(snapshot).ratio.p99; // e.g. 1.25: the candidate's p99 is 25 % slower
 * ```
 */
export function latencyReport(snapshot: EndpointSnapshot): LatencyReport {
  const primary = backend(snapshot, 'primary');
  const candidate = backend(snapshot, 'candidate');
  const report: LatencyReport = {
    primary,
    candidate,
    ratio: {
      p50: ratio(candidate.total.p50, primary.total.p50),
      p90: ratio(candidate.total.p90, primary.total.p90),
      p99: ratio(candidate.total.p99, primary.total.p99),
    },
  };
  const secondary = backend(snapshot, 'secondary');
  if (secondary.ttfb.count > 0 || secondary.total.count > 0) report.secondary = secondary;
  return report;
}

/**
 * One report row from a stored endpoint. Field verdicts use the endpoint's compared
 * requests as the denominator of the absolute threshold. Fields are sorted regressions
 * first, then by differences, noise, path and kind.
 *
 * @example
 * ```ts
 * const row = endpointReport(store.list()[0], { relative: 0.2, absolute: 0.0003 });
 * ```
 */
export function endpointReport(snapshot: EndpointSnapshot, thresholds: NoiseThresholds): EndpointReport {
  const requests = snapshot.counts.compared;
  const fields: FieldReport[] = snapshot.fields.map((f) => ({
    path: f.path,
    kind: f.kind,
    differences: f.differences,
    noise: f.noise,
    verdict: f.mark ? 'noise' : verdict({ raw: f.differences, noise: f.noise, requests }, thresholds),
    samples: f.samples,
    ...(f.mark ? { mark: f.mark } : {}),
  }));
  fields.sort(
    (a, b) =>
      Number(b.verdict === 'regression') - Number(a.verdict === 'regression') ||
      b.differences - a.differences || b.noise - a.noise ||
      compareText(a.path, b.path) || compareText(a.kind, b.kind),
  );
  return {
    endpoint: snapshot.endpoint,
    route: snapshot.route,
    candidate: snapshot.candidate,
    ...snapshot.counts,
    fields,
    latency: latencyReport(snapshot),
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Report order: regressions descending, then requests descending, then by endpoint,
 * route and candidate names.
 *
 * @example
 * ```ts
 * rows.sort(compareReports);
 * ```
 */
export function compareReports(a: EndpointReport, b: EndpointReport): number {
  return (
    b.regressions - a.regressions || b.requests - a.requests ||
    compareText(a.endpoint, b.endpoint) || compareText(a.route, b.route) || compareText(a.candidate, b.candidate)
  );
}
