/**
 * Micro-benchmark of the comparison engine: `compareResponses` on the two 5 KB JSON
 * documents of the shadow scenario (one changed field, reordered keys, a moved
 * timestamp), default rules, on one core. As a yardstick from the same run, the time of
 * `JSON.parse` of both bodies alone (what any comparison that parses both documents pays
 * before it compares anything). The two alternate in half-second slices, so a slow spell
 * of the machine hits both. Prints one JSON line.
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

const compareBatch = async (): Promise<void> => {
  for (let i = 0; i < 100; i++) await compareResponses(primary, candidate, rules);
};
let sink = 0;
const parseBatch = async (): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    const a = JSON.parse(primary.body.toString('utf8')) as { items: unknown[] };
    const b = JSON.parse(candidate.body.toString('utf8')) as { items: unknown[] };
    sink += a.items.length + b.items.length;
  }
};

/** Runs whole batches of 100 for `ms`; returns [operations, elapsed ms]. */
async function slice(batch: () => Promise<void>, ms: number): Promise<[number, number]> {
  const t0 = performance.now();
  let ops = 0;
  while (performance.now() - t0 < ms) {
    await batch();
    ops += 100;
  }
  return [ops, performance.now() - t0];
}

const first = await compareResponses(primary, candidate, rules);
await slice(compareBatch, 500);
await slice(parseBatch, 500);
const total = { compare: [0, 0], parse: [0, 0] };
for (let spent = 0; spent < seconds * 1000; spent += 1000) {
  const c = await slice(compareBatch, 500);
  const p = await slice(parseBatch, 500);
  total.compare[0] += c[0];
  total.compare[1] += c[1];
  total.parse[0] += p[0];
  total.parse[1] += p[1];
}
const perSecond = ([ops, ms]: number[]) => Math.round((ops * 1000) / ms);
process.stdout.write(
  `${JSON.stringify({ ops_per_s: perSecond(total.compare), parse_both_per_s: perSecond(total.parse), differences: first.differences.length, bytes: primary.body.length, sink: sink > 0 })}\n`,
);
