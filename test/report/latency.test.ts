import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencySketch, SKETCH_MAX_VALUE } from '../../src/report/latency.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

function within(actual: number | null, expected: number, rel: number, what: string): void {
  assert.ok(actual !== null, what);
  assert.ok(Math.abs(actual - expected) <= rel * expected, `${what}: ${actual} vs ${expected}`);
}

test('quantiles of known distributions are within the relative error', () => {
  const random = rng(7);
  const distributions: [string, () => number][] = [
    ['uniform 1..1000 ms', () => 1 + random() * 999],
    ['log-normal around 20 ms', () => Math.exp(Math.log(20) + 0.8 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()))],
    ['exponential mean 50 ms', () => -50 * Math.log(1 - random())],
  ];
  for (const [name, draw] of distributions) {
    const s = new LatencySketch();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = draw() + 0.2;
      values.push(v);
      s.add(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0, 0.5, 0.9, 0.99, 1]) within(s.quantile(q), exactQuantile(values, q), 0.02, `${name} q=${q}`);
    assert.equal(s.count, values.length);
    within(s.mean, values.reduce((a, b) => a + b, 0) / values.length, 1e-9, `${name} mean`);
  }
});

test('summary of an empty sketch has null statistics', () => {
  assert.deepEqual(new LatencySketch().summary(), { p50: null, p90: null, p99: null, count: 0, mean: null });
  assert.equal(new LatencySketch().quantile(0.5), null);
});

test('values out of range are bounded; invalid values ignored', () => {
  const s = new LatencySketch();
  s.add(0);
  s.add(0.05);
  s.add(SKETCH_MAX_VALUE * 10);
  s.add(-1);
  s.add(Number.NaN);
  s.add(Infinity);
  assert.equal(s.count, 3);
  assert.equal(s.quantile(0), 0);
  const p50 = s.quantile(0.5);
  assert.ok(p50 !== null && p50 >= 0 && p50 < 0.1, 'values under 0.1 ms share the zero bucket');
  assert.equal(s.quantile(1), SKETCH_MAX_VALUE * 10, 'clamped to the exact max');
  assert.ok(s.toJSON().counts.length <= 2);
  const wide = new LatencySketch();
  for (let v = 0.1; v < 1e9; v *= 1.01) wide.add(v);
  assert.ok(wide.toJSON().counts.length < 450, `buckets: ${wide.toJSON().counts.length}`);
});

test('merge of two halves equals the whole', () => {
  const random = rng(3);
  const whole = new LatencySketch();
  const a = new LatencySketch();
  const b = new LatencySketch();
  for (let i = 0; i < 5000; i++) {
    const v = Math.round(random() * 500) + 1;
    whole.add(v);
    (i % 2 === 0 ? a : b).add(v);
  }
  a.merge(b).merge(new LatencySketch());
  assert.deepEqual(a.summary(), whole.summary());
  assert.deepEqual(a.toJSON().counts, whole.toJSON().counts);
  const low = new LatencySketch();
  low.add(0.5);
  const high = new LatencySketch();
  high.add(3000);
  high.merge(low);
  assert.equal(high.min, 0.5);
  assert.equal(high.max, 3000);
  assert.throws(() => a.merge(new LatencySketch(0.01)), RangeError);
});

test('JSON round trip keeps every statistic', () => {
  const s = new LatencySketch();
  for (const v of [0.01, 1, 2, 3, 50, 700, 12_000]) s.add(v, 2);
  const copy = LatencySketch.fromJSON(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(copy.summary(), s.summary());
  assert.deepEqual(copy.toJSON(), s.toJSON());
  assert.deepEqual(s.clone().toJSON(), s.toJSON());
  const empty = LatencySketch.fromJSON(new LatencySketch().toJSON());
  assert.equal(empty.min, null);
  empty.add(4);
  assert.equal(empty.min, 4);
});

test('fromJSON rejects malformed input', () => {
  const good = new LatencySketch();
  good.add(5);
  const json = good.toJSON();
  for (const bad of [null, {}, { ...json, v: 2 }, { ...json, count: 7 }, { ...json, counts: [-1] }, { ...json, offset: 1.5 }]) {
    assert.throws(() => LatencySketch.fromJSON(bad as never), TypeError);
  }
  assert.throws(() => new LatencySketch(0), RangeError);
});
