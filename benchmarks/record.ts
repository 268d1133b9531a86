/**
 * Micro-benchmark of what follows a comparison in shadow testing: recording its outcome
 * in the aggregator (endpoint naming, counters, fields, latency sketches) and the
 * Prometheus counters, for the three differences of the shadow scenario's 5 KB
 * documents, on one core. Prints one JSON line: microseconds per recorded outcome, the
 * median of five rounds.
 *
 *   node --import tsx benchmarks/record.ts [outcomes per round]
 */
import { captureFromBuffer, compareResponses, defaultCompareRules } from '../src/compare/index.js';
import { ShadowAggregator } from '../src/report/aggregate.js';
import type { ShadowOutcome } from '../src/report/aggregate-types.js';
import { Metrics } from '../src/report/metrics.js';
import { docs } from './docs.js';

const perRound = Number(process.argv[2] ?? 100_000);
const headers = { 'content-type': 'application/json' };
const { differences } = await compareResponses(captureFromBuffer(200, headers, docs.shadowA()), captureFromBuffer(200, headers, docs.shadowB()), defaultCompareRules());
const aggregator = new ShadowAggregator();
const metrics = new Metrics({ defaultMetrics: false });
const outcome = (): ShadowOutcome => ({
  route: 'route-0', method: 'GET', url: '/5k', candidate: '127.0.0.1:8081', result: 'compared', raw: differences, noise: null,
  timings: { primary: { ttfb: 1.2, total: 1.5 }, candidate: { ttfb: 1.3, total: 1.6 } }, at: Date.now(),
});

const rounds: number[] = [];
for (let r = 0; r < 6; r++) {
  const t0 = performance.now();
  for (let i = 0; i < perRound; i++) {
    const rec = aggregator.record(outcome());
    metrics.shadowComparison('route-0', rec.endpoint, rec.result);
    for (const f of rec.fields) metrics.shadowField('route-0', rec.endpoint, f.field, f.verdict);
  }
  // The first round warms up.
  if (r > 0) rounds.push(((performance.now() - t0) * 1000) / perRound);
}
rounds.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ us_per_outcome: Math.round(rounds[2] * 100) / 100, differences: differences.length, outcomes: perRound * 6 })}\n`);
