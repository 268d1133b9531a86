import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Difference } from '../../src/compare/types.js';
import { MemoryAggregateStore, ShadowAggregator, type ShadowOutcome } from '../../src/report/aggregate.js';
import { EndpointNamer } from '../../src/report/endpoint.js';

/** Primary total time of request i: a known spread 10..109 ms; the candidate is 1.5 times slower. */
const primaryMs = (i: number): number => 10 + ((i * 37) % 100);

/** Request i of the scenario: timestamp and requestId always noisy, body.name broken on 10 %. */
function scenario(i: number): ShadowOutcome {
  const raw: Difference[] = [
    { path: 'body.timestamp', kind: 'changed', primary: 1000 + i, candidate: 2000 + i },
    { path: 'body.requestId', kind: 'changed', primary: `p-${i}`, candidate: `c-${i}` },
  ];
  if (i % 10 === 3) raw.push({ path: 'body.name', kind: 'changed', primary: `user ${i}`, candidate: `USER ${i}` });
  if (i % 50 === 3) {
    raw.push({ path: 'body.items[0].x', kind: 'changed', primary: 1, candidate: 2 });
    raw.push({ path: 'body.items[7].x', kind: 'changed', primary: 3, candidate: 4 });
  }
  const noise: Difference[] = [
    { path: 'body.timestamp', kind: 'changed', primary: 1000 + i, candidate: 3000 + i },
    { path: 'body.requestId', kind: 'changed', primary: `p-${i}`, candidate: `s-${i}` },
  ];
  const p = primaryMs(i);
  return {
    route: 'api', method: 'GET', url: `/users/${i}?v=1`, candidate: 'v2', result: 'compared', raw, noise,
    timings: { primary: { ttfb: p / 2, total: p }, candidate: { ttfb: p * 0.75, total: p * 1.5 }, secondary: { ttfb: p / 2, total: p } },
    at: 1_700_000_000_000 + i,
  };
}

function run(agg: ShadowAggregator, from: number, to: number): Map<string, number> {
  const classes = new Map<string, number>();
  for (let i = from; i < to; i++) {
    const r = agg.record(scenario(i));
    classes.set(r.result, (classes.get(r.result) ?? 0) + 1);
  }
  return classes;
}

test('1,000 requests: body.name is a regression, timestamp and requestId are noise', () => {
  const agg = new ShadowAggregator();
  const classes = run(agg, 0, 1000);
  assert.deepEqual(Object.fromEntries(classes), { noise: 900, regression: 100 });
  const [row] = agg.endpoints();
  assert.equal(row.endpoint, 'GET /users/:id');
  assert.equal(row.route, 'api');
  assert.equal(row.candidate, 'v2');
  assert.deepEqual(
    { requests: row.requests, compared: row.compared, errors: row.errors, skipped: row.skipped, matches: row.matches, regressions: row.regressions },
    { requests: 1000, compared: 1000, errors: 0, skipped: 0, matches: 0, regressions: 100 },
  );
  const field = (path: string) => row.fields.find((f) => f.path === path)!;
  assert.deepEqual(
    row.fields.map((f) => [f.path, f.kind, f.differences, f.noise, f.verdict]),
    [
      ['body.name', 'changed', 100, 0, 'regression'],
      ['body.items[*].x', 'changed', 20, 0, 'regression'],
      ['body.requestId', 'changed', 1000, 1000, 'noise'],
      ['body.timestamp', 'changed', 1000, 1000, 'noise'],
    ],
  );
  for (const f of row.fields) assert.equal(f.samples.length, 5, `${f.path} samples capped`);
  assert.deepEqual(field('body.name').samples[0], {
    method: 'GET', url: '/users/3?v=1', path: 'body.name', primary: 'user 3', candidate: 'USER 3', secondary: 'user 3', at: 1_700_000_000_003,
  });
  assert.deepEqual(field('body.name').samples.map((s) => s.url), [3, 13, 23, 33, 43].map((i) => `/users/${i}?v=1`));
  assert.equal(field('body.timestamp').samples[0].secondary, 3000);
  assert.equal(field('body.items[*].x').samples[0].path, 'body.items[0].x');
});

test('latency percentiles of a known distribution and the candidate/primary ratio', () => {
  const agg = new ShadowAggregator();
  run(agg, 0, 1000);
  const { latency } = agg.endpoints()[0];
  const sorted = Array.from({ length: 1000 }, (_, i) => primaryMs(i)).sort((a, b) => a - b);
  const exact = (q: number) => sorted[Math.floor(q * 999)];
  for (const [q, key] of [[0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99']] as const) {
    const p = latency.primary.total[key]!;
    const c = latency.candidate.total[key]!;
    assert.ok(Math.abs(p - exact(q)) <= 0.02 * exact(q), `primary ${key}: ${p} vs ${exact(q)}`);
    assert.ok(Math.abs(c - 1.5 * exact(q)) <= 0.02 * 1.5 * exact(q), `candidate ${key}: ${c}`);
    assert.ok(Math.abs(latency.primary.ttfb[key]! - exact(q) / 2) <= 0.01 * exact(q), `ttfb ${key}`);
    assert.ok(Math.abs(latency.ratio[key]! - 1.5) <= 0.07, `ratio ${key}: ${latency.ratio[key]}`);
  }
  assert.equal(latency.primary.total.count, 1000);
  assert.equal(latency.primary.total.mean, sorted.reduce((a, b) => a + b, 0) / 1000);
  assert.equal(latency.secondary?.total.count, 1000);
});

test('snapshot -> restore gives the same report, also through JSON', () => {
  const agg = new ShadowAggregator();
  run(agg, 0, 300);
  agg.record({ ...scenario(1), url: '/health', result: 'error', raw: [], noise: null });
  const copy = new ShadowAggregator();
  copy.record(scenario(5)); // replaced by restore
  copy.restore(JSON.parse(JSON.stringify(agg.snapshot())));
  assert.deepEqual(copy.endpoints(), agg.endpoints());
  assert.throws(() => copy.restore({ version: 2 } as never), TypeError);
});

test('merging the snapshots of two halves equals the whole', () => {
  const whole = new ShadowAggregator();
  run(whole, 0, 1000);
  const a = new ShadowAggregator();
  const b = new ShadowAggregator();
  run(a, 0, 500);
  run(b, 500, 1000);
  const merged = new ShadowAggregator();
  merged.merge(a.snapshot());
  merged.merge(b.snapshot());
  assert.deepEqual(merged.endpoints(), whole.endpoints());
});

test('errors, skipped requests, matches and several endpoints, sorted by regressions then requests', () => {
  const agg = new ShadowAggregator();
  const base = { route: 'api', candidate: 'v2', noise: null, at: 1, timings: { primary: { ttfb: 5, total: 8 } } } as const;
  for (let i = 0; i < 3; i++) agg.record({ ...base, method: 'GET', url: '/users/me', result: 'compared', raw: [] });
  const skipped = agg.record({ ...base, method: 'GET', url: '/users/me', result: 'skipped', raw: [] });
  const error = agg.record({ ...base, method: 'GET', url: '/users/me', result: 'error', raw: [] });
  assert.deepEqual([skipped.result, error.result, error.endpoint], ['skipped', 'error', 'GET /users/me']);
  const reg = agg.record({ ...base, method: 'POST', url: '/orders', result: 'compared', raw: [{ path: 'status', kind: 'status', primary: 201, candidate: 500 }] });
  assert.deepEqual(reg, { endpoint: 'POST /orders', result: 'regression', fields: [{ field: 'status', kind: 'status', verdict: 'regression' }] });
  const fixed = agg.record({ ...base, endpoint: 'search', method: 'GET', url: '/search?q=1', result: 'compared', raw: [] });
  assert.equal(fixed.endpoint, 'search');
  const rows = agg.endpoints();
  assert.deepEqual(rows.map((r) => r.endpoint), ['POST /orders', 'GET /users/me', 'search']);
  const me = rows[1];
  assert.deepEqual([me.requests, me.compared, me.errors, me.skipped, me.matches, me.regressions], [5, 3, 1, 1, 3, 0]);
  assert.equal(me.latency.primary.total.count, 4, 'skipped requests carry no latency');
  assert.equal(me.latency.candidate.total.count, 0);
  assert.deepEqual(me.latency.ratio, { p50: null, p90: null, p99: null });
  assert.equal(me.latency.secondary, undefined);
});

test('without a secondary every raw difference counts as a regression; a field counts once per request', () => {
  const agg = new ShadowAggregator();
  const r = agg.record({
    route: 'r', method: 'GET', url: '/a', candidate: 'c', result: 'compared', noise: null, at: 0,
    timings: { primary: { ttfb: 1, total: 2 } },
    raw: [
      { path: 'body.list[0]', kind: 'changed', primary: 1, candidate: 2 },
      { path: 'body.list[1]', kind: 'changed', primary: 1, candidate: 2 },
      { path: 'body.list[2]', kind: 'missing', primary: 3 },
    ],
  });
  assert.deepEqual(r.fields, [
    { field: 'body.list[*]', kind: 'changed', verdict: 'regression' },
    { field: 'body.list[*]', kind: 'missing', verdict: 'regression' },
  ]);
  const fields = agg.endpoints()[0].fields;
  assert.deepEqual(fields.map((f) => [f.path, f.kind, f.differences, f.samples.length]), [
    ['body.list[*]', 'changed', 1, 1],
    ['body.list[*]', 'missing', 1, 1],
  ]);
  assert.deepEqual(fields[1].samples[0], { method: 'GET', url: '/a', path: 'body.list[2]', primary: 3, at: 0 });
});

test('sample values are redacted and truncated', () => {
  const base = { route: 'r', method: 'GET', url: '/a', candidate: 'c', result: 'compared', noise: null, at: 0, timings: { primary: { ttfb: 1, total: 2 } } } as const;
  const agg = new ShadowAggregator({ maxSampleValueLength: 20 });
  agg.record({
    ...base,
    raw: [
      { path: 'header.Authorization', kind: 'header', primary: 'Bearer a', candidate: 'Bearer b' },
      { path: 'header.set-cookie', kind: 'header', primary: ['a=1'], candidate: ['a=2'] },
      { path: 'header.x-trace', kind: 'header', primary: 't1', candidate: 't2' },
      { path: 'body.text', kind: 'changed', primary: 'x'.repeat(30), candidate: 'short' },
      { path: 'body.obj', kind: 'changed', primary: { list: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, candidate: { a: 1 } },
      { path: 'body.big', kind: 'changed', primary: 10n, candidate: 11 },
    ],
  });
  const samples = Object.fromEntries(agg.endpoints()[0].fields.map((f) => [f.path, f.samples[0]]));
  assert.deepEqual([samples['header.Authorization'].primary, samples['header.Authorization'].candidate], ['[redacted]', '[redacted]']);
  assert.equal(samples['header.set-cookie'].candidate, '[redacted]');
  assert.equal(samples['header.x-trace'].candidate, 't2');
  assert.deepEqual([samples['body.text'].primary, samples['body.text'].truncated], ['x'.repeat(20) + '…', true]);
  assert.equal(samples['body.obj'].primary, '{"list":[1,2,3,4,5,6…');
  assert.deepEqual(samples['body.obj'].candidate, { a: 1 });
  assert.equal(samples['body.big'].primary, '10');

  const custom = new ShadowAggregator({ redact: (path, v) => (path === 'body.text' ? '***' : v) });
  custom.record({ ...base, raw: [{ path: 'body.text', kind: 'changed', primary: 'secret', candidate: 'other' }] });
  assert.equal(custom.endpoints()[0].fields[0].samples[0].primary, '***');
});

test('caps: fields fold into *other*, endpoints into METHOD /*other*', () => {
  const agg = new ShadowAggregator({ maxFieldsPerEndpoint: 2, maxEndpoints: 2, samplesPerField: 1 });
  const base = { route: 'r', method: 'GET', candidate: 'c', result: 'compared', noise: null, at: 0, timings: { primary: { ttfb: 1, total: 2 } } } as const;
  const raw = (n: number): Difference[] => Array.from({ length: n }, (_, i) => ({ path: `body.f${i}`, kind: 'changed' as const, primary: i, candidate: -i }));
  const r = agg.record({ ...base, url: '/a', raw: [...raw(5), { path: 'body.z', kind: 'extra', candidate: 1 }] });
  assert.deepEqual(r.fields.map((f) => `${f.field}|${f.kind}`), ['body.f0|changed', 'body.f1|changed', '*other*|changed', '*other*|extra']);
  agg.record({ ...base, url: '/a', raw: raw(5) });
  const fields = agg.endpoints()[0].fields;
  assert.deepEqual(fields.map((f) => [f.path, f.kind, f.differences, f.samples.length]), [
    ['*other*', 'changed', 2, 1],
    ['body.f0', 'changed', 2, 1],
    ['body.f1', 'changed', 2, 1],
    ['*other*', 'extra', 1, 1],
  ]);
  agg.record({ ...base, url: '/b', raw: [] });
  assert.equal(agg.record({ ...base, url: '/c', raw: [] }).endpoint, 'GET /*other*');
  assert.equal(agg.record({ ...base, method: 'PUT', url: '/d', raw: [] }).endpoint, 'PUT /*other*');
  assert.equal(agg.record({ ...base, url: '/b', raw: [] }).endpoint, 'GET /b');
  assert.equal(agg.endpoints().length, 4);
  // The cap counts (route, endpoint) pairs: another candidate of a counted pair is kept
  // apart, a counted endpoint of another route is a new pair.
  assert.equal(agg.record({ ...base, candidate: 'd', url: '/b', raw: [] }).endpoint, 'GET /b');
  assert.equal(agg.record({ ...base, route: 'other', url: '/b', raw: [] }).endpoint, 'GET /*other*');
  assert.deepEqual(
    agg.endpoints().filter((e) => e.endpoint === 'GET /b').map((e) => [e.route, e.candidate, e.requests]),
    [['r', 'c', 2], ['r', 'd', 1]],
  );
  agg.reset();
  assert.equal(agg.record({ ...base, url: '/e', raw: [] }).endpoint, 'GET /e', 'reset frees the cap');
});

test('thresholds per route, shared namer, preloaded store, reset', () => {
  const namer = new EndpointNamer();
  const store = new MemoryAggregateStore();
  const strict = new ShadowAggregator({ namer, store, thresholds: (route) => (route === 'lenient' ? { relative: 0.2, absolute: 0.5 } : { relative: 0.2, absolute: 0 }) });
  const out = (route: string, raw: Difference[]): ShadowOutcome => ({
    route, method: 'GET', url: '/x/1', candidate: 'c', result: 'compared', raw, noise: [], at: 0, timings: { primary: { ttfb: 1, total: 1 } },
  });
  const diff: Difference[] = [{ path: 'body.a', kind: 'changed', primary: 1, candidate: 2 }];
  for (let i = 0; i < 9; i++) strict.record(out('lenient', []));
  assert.equal(strict.record(out('lenient', diff)).result, 'noise', '1 of 10 is under the 50 % absolute threshold');
  assert.equal(strict.record(out('strict', diff)).result, 'regression');
  assert.equal(namer.size, 1);
  const reopened = new ShadowAggregator({ store, maxEndpoints: 2 });
  assert.equal(reopened.endpoints().length, 2);
  assert.equal(reopened.record(out('strict', [])).endpoint, 'GET /x/:id', 'endpoints from the store stay admitted');
  assert.equal(reopened.record({ ...out('strict', []), url: '/y' }).endpoint, 'GET /*other*');
  strict.reset();
  assert.deepEqual(strict.endpoints(), []);
  assert.equal(namer.size, 0);
});
