/**
 * The report as plain text (for a terminal or a CI log) and as JSON (for scripts).
 */
import type { GateEndpoint, GateReport } from './gate.js';
import { percent } from './gate.js';

/** A sample value in one short line. */
export function shortValue(value: unknown, max = 60): string {
  if (value === undefined) return '(missing)';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The status word of an endpoint. */
export function status(e: GateEndpoint): 'FAIL' | 'WARN' | 'ok' {
  return e.failed ? 'FAIL' : e.regressing ? 'WARN' : 'ok';
}

/** The gate settings as command-line flags. */
export function gateFlags(r: GateReport): string {
  const flags: string[] = [];
  if (r.gate.failOnRegressions) flags.push('--fail-on-regressions');
  if (r.gate.maxRegressionRate !== null) flags.push(`--max-regression-rate ${percent(r.gate.maxRegressionRate)}`);
  if (r.gate.minCompared > 0) flags.push(`--min-compared ${r.gate.minCompared}`);
  for (const g of r.gate.endpoints) flags.push(`--endpoint '${g}'`);
  return flags.join(' ') || 'none (report only)';
}

function pad(cells: string[][]): string[] {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

/**
 * Plain text: a table of endpoints, the regressing fields of each with one sample, and
 * the gate's verdict.
 *
 * @example
 * ```ts
 * process.stdout.write(formatText(evaluateGate(rows, gate, source)));
 * ```
 */
export function formatText(r: GateReport): string {
  const lines = [`doppel shadow report: ${r.source} (${r.generatedAt})`, `gate: ${gateFlags(r)}`, ''];
  if (r.endpoints.length === 0) lines.push('No endpoints in the report.');
  else {
    const rows = [['STATUS', 'ENDPOINT', 'ROUTE', 'CANDIDATE', 'COMPARED', 'REGRESSIONS', 'RATE', 'ERRORS']];
    for (const e of r.endpoints) rows.push([status(e), e.endpoint, e.route, e.candidate, String(e.compared), String(e.regressions), percent(e.regressionRate), String(e.errors)]);
    lines.push(...pad(rows));
    for (const e of r.endpoints.filter((x) => x.regressing)) {
      lines.push('', `${status(e)} ${e.endpoint} (route ${e.route}, candidate ${e.candidate}):`);
      for (const f of e.fields) {
        const s = f.sample ? `; e.g. ${f.sample.method} ${f.sample.url}: ${f.sample.path} ${shortValue(f.sample.primary)} -> ${shortValue(f.sample.candidate)}` : '';
        lines.push(`  ${f.path} (${f.kind}): ${f.differences} differences, ${f.noise} noise${s}`);
      }
    }
  }
  const t = r.totals;
  lines.push('', `${t.endpoints} endpoint${t.endpoints === 1 ? '' : 's'}, ${t.compared} compared, ${t.regressions} regressions; ${t.regressing} regressing endpoint${t.regressing === 1 ? '' : 's'}.`);
  if (r.passed) lines.push('Gate passed.');
  else lines.push('Gate FAILED:', ...r.failures.map((f) => `  - ${f}`));
  return lines.join('\n') + '\n';
}

/** The report as JSON (the {@link GateReport} object). */
export function formatJson(r: GateReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
