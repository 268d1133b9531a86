/**
 * Micro-benchmark of the comparison engine: `compareResponses` on the two 5 KB JSON
 * documents of the shadow scenario (one changed field, reordered keys, a moved
 * timestamp), default rules, on one core. Prints one JSON line.
 *
 *   node --import tsx benchmarks/compare.ts [seconds]
 */
import { captureFromBuffer, compareResponses, defaultCompareRules } from '../src/compare/index.js';
import { docs } from './docs.js';

const seconds = Number(process.argv[2] ?? 3);
const headers = { 'content-type': 'application/json' };
const primary = captureFromBuffer(200, headers, docs.shadowA());
const candidate = captureFromBuffer(200, headers, docs.shadowB());
const rules = defaultCompareRules();

const first = await compareResponses(primary, candidate, rules);
// Warm-up, then count whole batches until the time is up.
let end = performance.now() + 500;
while (performance.now() < end) await compareResponses(primary, candidate, rules);
let ops = 0;
const t0 = performance.now();
end = t0 + seconds * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 200; i++) await compareResponses(primary, candidate, rules);
  ops += 200;
}
const elapsed = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ ops_per_s: Math.round(ops / elapsed), differences: first.differences.length, bytes: primary.body.length })}\n`);
