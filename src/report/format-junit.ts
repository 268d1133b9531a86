/**
 * The report as JUnit XML for CI test reports: one test case per endpoint, with a
 * `failure` element when the endpoint fails the gate, and one more test case for the
 * minimum of compared requests when that rule is set.
 */
import type { GateReport } from './gate.js';
import { percent } from './gate.js';
import { gateFlags, shortValue } from './format-text.js';

/** Escapes text for XML content and attribute values; drops characters XML cannot hold. */
export function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * JUnit XML.
 *
 * @example
 * ```ts
 * writeFileSync('report.xml', formatJunit(report));
 * ```
 */
export function formatJunit(r: GateReport): string {
  const cases: string[] = [];
  let failures = 0;
  for (const e of r.endpoints) {
    const name = `${e.endpoint}`;
    const classname = `doppel.${e.route}.${e.candidate}`;
    const out = `compared ${e.compared}, regressions ${e.regressions} (${percent(e.regressionRate)}), matches ${e.matches}, errors ${e.errors}, skipped ${e.skipped}`;
    let body = `      <system-out>${xml(out)}</system-out>\n`;
    if (e.failed) {
      failures++;
      const message = `${e.fields.length} regressing field${e.fields.length === 1 ? '' : 's'}, regression rate ${percent(e.regressionRate)}`;
      const details = e.fields
        .map((f) => `${f.path} (${f.kind}): ${f.differences} differences, ${f.noise} noise` + (f.sample ? `; e.g. ${f.sample.method} ${f.sample.url}: ${f.sample.path} ${shortValue(f.sample.primary, 200)} -> ${shortValue(f.sample.candidate, 200)}` : ''))
        .join('\n');
      body = `      <failure message="${xml(message)}" type="regression">${xml(details)}</failure>\n` + body;
    }
    cases.push(`    <testcase classname="${xml(classname)}" name="${xml(name)}" time="0">\n${body}    </testcase>`);
  }
  if (r.gate.minCompared > 0) {
    const ok = r.totals.compared >= r.gate.minCompared;
    if (!ok) failures++;
    const failure = ok ? '' : `      <failure message="${xml(`only ${r.totals.compared} requests compared, fewer than ${r.gate.minCompared}`)}" type="coverage"/>\n`;
    cases.push(`    <testcase classname="doppel" name="compared requests" time="0">\n${failure}    </testcase>`);
  }
  const tests = cases.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="doppel" tests="${tests}" failures="${failures}" errors="0" time="0">`,
    `  <testsuite name="doppel shadow report" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="0" timestamp="${xml(r.generatedAt)}">`,
    '    <properties>',
    `      <property name="source" value="${xml(r.source)}"/>`,
    `      <property name="gate" value="${xml(gateFlags(r))}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
