/**
 * The CI gate over a shadow report: which endpoints regress, their regression rates, and
 * whether the build should fail. Pure functions; the formats render {@link GateReport}.
 */
import type { EndpointReport, FieldSample, LatencyReport } from './aggregate-types.js';

/** What fails the gate. */
export interface GateOptions {
  /** Fail when any endpoint regresses. */
  failOnRegressions: boolean;
  /** Fail when an endpoint's regression rate is above this fraction (`null`: no such rule). */
  maxRegressionRate: number | null;
  /** Fail when fewer requests than this were compared in all (default 0: no such rule). */
  minCompared: number;
  /** Only endpoints matching one of these globs (`*` any text, `?` one character); empty: all. */
  endpoints: string[];
}

/** One regressing field, with its first sample. */
export interface GateField {
  key: string;
  path: string;
  kind: string;
  differences: number;
  noise: number;
  sample?: FieldSample;
}

/** One endpoint as the gate sees it. */
export interface GateEndpoint {
  id?: string;
  route: string;
  candidate: string;
  endpoint: string;
  requests: number;
  compared: number;
  errors: number;
  skipped: number;
  matches: number;
  regressions: number;
  /** `regressions / compared` when the endpoint regresses, else 0. */
  regressionRate: number;
  /** At least one field has the verdict `regression` now. */
  regressing: boolean;
  /** The endpoint breaks a rule: regressing under `--fail-on-regressions` (or with no rule), or above the rate. */
  failed: boolean;
  fields: GateField[];
  /** Fields whose verdict is noise (or that are marked). */
  noiseFields: number;
  latency: LatencyReport;
}

/** The whole gate outcome. */
export interface GateReport {
  /** Where the report came from (store location or admin URL). */
  source: string;
  generatedAt: string;
  gate: GateOptions;
  /** False when the gate fails (the command then exits 1). */
  passed: boolean;
  /** Why the gate fails, one line each. */
  failures: string[];
  totals: { endpoints: number; requests: number; compared: number; regressions: number; regressing: number; failed: number };
  endpoints: GateEndpoint[];
}

/**
 * Parses a rate: `0.1%` is 0.001, a bare number is a fraction (`0.001`).
 *
 * @example
 * ```ts
 * parseRate('0.1%'); // 0.001
 * parseRate('abc');  // null
 * ```
 */
export function parseRate(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]) / (m[2] ? 100 : 1);
  return v >= 0 && v <= 1 ? v : null;
}

/** A glob (`*`, `?`) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Formats a fraction as a percentage with up to 3 decimals. */
export function percent(x: number): string {
  return `${Number((x * 100).toFixed(3))}%`;
}

/**
 * Applies the gate to report rows.
 *
 * @example
 * ```ts
 * const report = evaluateGate(aggregator.endpoints(), { failOnRegressions: true, maxRegressionRate: null, minCompared: 0, endpoints: [] }, './doppel.db');
 * process.exitCode = report.passed ? 0 : 1;
 * ```
 */
export function evaluateGate(rows: (EndpointReport & { id?: string })[], gate: GateOptions, source: string, now = new Date()): GateReport {
  const globs = gate.endpoints.map(globToRegExp);
  const selected = globs.length === 0 ? rows : rows.filter((r) => globs.some((g) => g.test(r.endpoint)));
  const endpoints = selected.map((r): GateEndpoint => {
    const regressionFields = r.fields.filter((f) => f.verdict === 'regression');
    const regressing = regressionFields.length > 0;
    const regressionRate = regressing && r.compared > 0 ? r.regressions / r.compared : 0;
    const byRate = gate.maxRegressionRate !== null;
    const failed = regressing && (gate.failOnRegressions || !byRate || regressionRate > gate.maxRegressionRate!);
    return {
      ...(r.id !== undefined ? { id: r.id } : {}),
      route: r.route, candidate: r.candidate, endpoint: r.endpoint,
      requests: r.requests, compared: r.compared, errors: r.errors, skipped: r.skipped, matches: r.matches, regressions: r.regressions,
      regressionRate, regressing, failed,
      fields: regressionFields.map((f) => ({ key: `${f.path}|${f.kind}`, path: f.path, kind: f.kind, differences: f.differences, noise: f.noise, ...(f.samples[0] ? { sample: f.samples[0] } : {}) })),
      noiseFields: r.fields.length - regressionFields.length,
      latency: r.latency,
    };
  });
  const gating = gate.failOnRegressions || gate.maxRegressionRate !== null;
  const failures: string[] = [];
  if (gating) {
    for (const e of endpoints.filter((x) => x.failed)) {
      const why = gate.failOnRegressions || gate.maxRegressionRate === null
        ? `${e.fields.length} regressing field${e.fields.length === 1 ? '' : 's'}`
        : `regression rate ${percent(e.regressionRate)} > ${percent(gate.maxRegressionRate)}`;
      failures.push(`${e.endpoint} (route ${e.route}, candidate ${e.candidate}): ${why}`);
    }
  }
  const compared = endpoints.reduce((n, e) => n + e.compared, 0);
  if (compared < gate.minCompared) failures.push(`only ${compared} requests compared, fewer than ${gate.minCompared}`);
  return {
    source,
    generatedAt: now.toISOString(),
    gate,
    passed: failures.length === 0,
    failures,
    totals: {
      endpoints: endpoints.length,
      requests: endpoints.reduce((n, e) => n + e.requests, 0),
      compared,
      regressions: endpoints.reduce((n, e) => n + e.regressions, 0),
      regressing: endpoints.filter((e) => e.regressing).length,
      failed: endpoints.filter((e) => e.failed).length,
    },
    endpoints,
  };
}
