/** The results table, the ratios and the targets. */
import { median, pctOf, type CaseResult } from './scenarios.js';

export interface Figures {
  isolation_p99_ratio: number;
  mirror_cost_ratio_get: number;
  mirror_cost_ratio_post: number;
  vs_nginx_mirror_get: number | null;
  vs_nginx_mirror_post: number | null;
  slow_mirror_rss_mb: number;
  large_upload_rss_mb: number;
  shadow_cost_ratio: number;
  compare_ops_per_s: number;
  added_p99_ms: number;
  /**
   * Yardstick of `isolation_p99_ratio` from the same rounds (no target): client p99 of
   * doppel without a mirror / with the fast mirror. Without a mirror, as with the 200 ms
   * one (which sheds most copies), doppel serves more requests per second than with the
   * fast mirror, and so do wrk and the upstreams, which share one CPU.
   */
  ref_no_mirror_p99_ratio: number;
  /** Yardsticks from the same run (no target), at the same rate: doppel without a mirror target, */
  ref_no_mirror_added_p99_ms: number;
  /** nginx proxy_pass, */
  ref_nginx_added_p99_ms: number | null;
  /** and nginx mirroring every request to the fast target. */
  ref_nginx_mirror_added_p99_ms: number | null;
  /**
   * Against the Node floor (full runs; null in quick ones), req/s in paired rounds:
   * doppel without a mirror / the minimal Node proxy (node:http + undici),
   */
  ref_vs_node_proxy_get: number | null;
  ref_vs_node_proxy_post: number | null;
  /** and doppel mirroring every request / the naive Node mirror (a fire-and-forget undici request per copy). */
  ref_vs_node_mirror_get: number | null;
  ref_vs_node_mirror_post: number | null;
  /** `JSON.parse` of both 5 KB documents alone, pairs per second, alternating with the comparisons. */
  ref_parse_both_per_s: number;
  /** Share of the shadowed requests compared during the throughput runs (the rest skipped), */
  ref_shadow_compared_share: number;
  /** and at the constant rate. */
  ref_shadow_compared_share_at_rate: number;
  /**
   * Share of the machine's CPU time taken by the host for others during the whole run
   * (`steal` in /proc/stat): above a few percent, latency tails and single runs are the
   * host's as much as the proxies'.
   */
  ref_cpu_steal_share: number;
}

/** The targets: [key, comparison, bound]. */
export const TARGETS: [keyof Figures, '>=' | '<=', number][] = [
  ['isolation_p99_ratio', '<=', 1.2],
  ['mirror_cost_ratio_get', '>=', 0.75],
  ['mirror_cost_ratio_post', '>=', 0.75],
  ['vs_nginx_mirror_get', '>=', 1.0],
  ['vs_nginx_mirror_post', '>=', 1.0],
  ['slow_mirror_rss_mb', '<=', 256],
  ['large_upload_rss_mb', '<=', 150],
  ['shadow_cost_ratio', '>=', 0.6],
  ['compare_ops_per_s', '>=', 20_000],
  ['added_p99_ms', '<=', 1.0],
];

/** The shadow ratio meets its target only when at least this share of the shadowed requests was compared. */
export const MIN_COMPARED_SHARE = 0.99;

export const rps = (r: CaseResult | undefined) => (r ? median(r.runs.map((x) => x.rps)) : Number.NaN);
export const p99 = (r: CaseResult | undefined) => (r ? median(r.runs.map((x) => x.p99)) : Number.NaN);
/**
 * Ratio of two cases as the median of their per-round ratios: the two runs of one round
 * follow each other, so they share the machine's conditions, which drift between rounds
 * on a shared machine.
 */
export function pairedRatio(a: CaseResult | undefined, b: CaseResult | undefined, key: 'rps' | 'p99'): number {
  if (!a || !b) return Number.NaN;
  const n = Math.min(a.runs.length, b.runs.length);
  return median(Array.from({ length: n }, (_, i) => a.runs[i][key] / b.runs[i][key]));
}

export const peakRss = (r: CaseResult | undefined) => (r ? Math.max(...r.runs.map((x) => x.rssMb)) : Number.NaN);

const f = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '-');

/** Markdown table of every case: medians over the rounds, the spread of req/s, peak RSS. */
export function table(results: Map<string, CaseResult>): string {
  const rows = [
    '| configuration | request | req/s (median) | req/s min-max | p50 ms | p99 ms | proxy CPU us/req | of which kernel | proxy peak RSS MB | copies received | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results.values()) {
    const xs = r.runs.map((x) => x.rps);
    const errors = r.runs.reduce((a, x) => a + x.errors, 0);
    rows.push(
      `| ${r.case.system} | ${r.case.kind} | ${f(rps(r))} | ${f(Math.min(...xs))}-${f(Math.max(...xs))} | ${f(median(r.runs.map((x) => x.p50)), 2)} | ${f(p99(r), 2)} | ${f(median(r.runs.map((x) => x.cpuUs)))} | ${f(median(r.runs.map((x) => x.sysUs)))} | ${r.case.pid ? f(peakRss(r)) : '-'} | ${r.case.copies ? pctOf(median(r.runs.map((x) => x.copies))) : '-'} | ${errors} |`,
    );
  }
  return rows.join('\n');
}

/** Markdown table of each target against the measured figure. */
export function targetTable(fig: Figures): string {
  const rows = ['| figure | target | measured | |', '|---|---|---:|---|'];
  for (const [k, op, bound] of TARGETS) {
    const v = fig[k];
    let pass = v === null || !Number.isFinite(v) ? null : op === '>=' ? v >= bound : v <= bound;
    let note = '';
    // The shadow ratio counts only when (nearly) every shadowed request was compared: a
    // doppel that sheds comparisons to keep serving is faster, but does not meet the target.
    const share = fig.ref_shadow_compared_share;
    if (k === 'shadow_cost_ratio' && pass !== null && Number.isFinite(share) && share < MIN_COMPARED_SHARE) {
      pass = false;
      note = ` (compared ${(share * 100).toFixed(1)}% of the shadowed requests)`;
    }
    rows.push(`| ${k} | ${op} ${bound} | ${v === null ? 'n/a' : f(v, Math.abs(v) < 10 ? 2 : 0)} | ${pass === null ? 'not measured' : pass ? 'pass' : 'FAIL'}${note} |`);
  }
  return rows.join('\n');
}

export function round(fig: Figures): Figures {
  const out = { ...fig };
  for (const k of Object.keys(out) as (keyof Figures)[]) {
    const v = out[k];
    if (typeof v === 'number') out[k] = (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null) as never;
  }
  return out;
}
