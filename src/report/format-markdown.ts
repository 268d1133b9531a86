/**
 * The report as GitHub-flavoured Markdown, ready to paste into a pull request: the gate's
 * verdict, a table of endpoints, and per regressing endpoint a table of its regressing
 * fields with one sample each.
 */
import type { GateEndpoint, GateReport } from './gate.js';
import { percent } from './gate.js';
import { gateFlags, shortValue, status } from './format-text.js';

const ICON = { FAIL: '❌', WARN: '⚠️', ok: '✅' } as const;

/** Text safe inside a table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code safe inside a table cell (backticks in the text get a longer fence). */
function code(text: string): string {
  const t = cell(text);
  const fence = t.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${t}${fence.length > 1 ? ' ' : ''}${fence}`;
}

function ms(x: number | null): string {
  return x === null ? '–' : `${x < 10 ? x.toFixed(1) : Math.round(x)}`;
}

function latency(e: GateEndpoint): string {
  const p = e.latency.primary.total;
  const c = e.latency.candidate.total;
  return `${ms(p.p50)} / ${ms(p.p99)} → ${ms(c.p50)} / ${ms(c.p99)}`;
}

/**
 * Markdown for a pull request.
 *
 * @example
 * ```ts
 * writeFileSync('report.md', formatMarkdown(report));
 * ```
 */
export function formatMarkdown(r: GateReport): string {
  const t = r.totals;
  const out = ['## doppel shadow report', ''];
  const verdict = r.passed ? (t.regressing > 0 ? '⚠️ **Gate passed** with regressions below the threshold' : '✅ **Gate passed**') : '❌ **Gate failed**';
  out.push(`${verdict}: ${t.regressing} of ${t.endpoints} endpoint${t.endpoints === 1 ? '' : 's'} regress; ${t.compared} requests compared, ${t.regressions} regressions.`, '');
  out.push(`Gate: ${code(gateFlags(r))}. Source: ${code(r.source)}, ${r.generatedAt}.`, '');
  if (!r.passed) {
    for (const f of r.failures) out.push(`- ${cell(f)}`);
    out.push('');
  }
  if (r.endpoints.length === 0) return out.concat('No endpoints in the report.', '').join('\n');
  out.push('| | Endpoint | Route | Candidate | Compared | Regressions | Rate | Errors | Total ms p50 / p99, primary → candidate |');
  out.push('|---|---|---|---|---:|---:|---:|---:|---|');
  for (const e of r.endpoints) {
    out.push(`| ${ICON[status(e)]} | ${code(e.endpoint)} | ${cell(e.route)} | ${cell(e.candidate)} | ${e.compared} | ${e.regressions} | ${percent(e.regressionRate)} | ${e.errors} | ${latency(e)} |`);
  }
  for (const e of r.endpoints.filter((x) => x.regressing)) {
    out.push('', `### ${ICON[status(e)]} ${code(e.endpoint)} (route ${code(e.route)}, candidate ${code(e.candidate)})`, '');
    out.push('| Field | Kind | Differences | Noise | Sample |', '|---|---|---:|---:|---|');
    for (const f of e.fields) {
      const s = f.sample ? `${code(`${f.sample.method} ${f.sample.url}`)}: ${code(shortValue(f.sample.primary))} → ${code(shortValue(f.sample.candidate))}` : '';
      out.push(`| ${code(f.path)} | ${f.kind} | ${f.differences} | ${f.noise} | ${s} |`);
    }
    if (e.noiseFields > 0) out.push('', `${e.noiseFields} more field${e.noiseFields === 1 ? '' : 's'} differed as noise.`);
  }
  return out.join('\n') + '\n';
}
