/**
 * The SQLite store on disk: retention bounds the file, and two processes writing to one
 * file concurrently do not corrupt it and add up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ShadowAggregator, type ShadowOutcome } from '../../src/report/aggregate.js';
import { openStore } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'doppel-sqlite-'));
const size = (file: string): number => [file, `${file}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
const count = (file: string, table: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

const big = 'x'.repeat(20_000);
function outcome(route: string, i: number, at = Date.now()): ShadowOutcome {
  return {
    route, method: 'GET', url: `/items/${i}`, candidate: 'v2', result: 'compared',
    raw: [{ path: `body.f${i % 400}`, kind: 'changed', primary: i, candidate: -i }], noise: null,
    timings: { primary: { ttfb: 1, total: 2 } }, at,
    exchange: () => ({
      request: { method: 'GET', url: `/items/${i}`, headers: {} },
      primary: { status: 200, headers: {}, bodyType: 'text', body: big, size: big.length, truncated: false },
      candidate: { status: 200, headers: {}, bodyType: 'text', body: big, size: big.length, truncated: false },
    }),
  };
}

test('retention by count bounds samples, exchanges and the file size', async () => {
  const file = join(dir, 'retention.db');
  const store = await openStore(file, { retention: { maxSamples: 50, maxAge: 0 }, flushInterval: 0, retentionInterval: 0 });
  const agg = new ShadowAggregator({ store });
  const sizes: number[] = [];
  for (let cycle = 0; cycle < 5; cycle++) {
    for (let i = 0; i < 400; i++) agg.record(outcome(`r${cycle}`, i));
    await store.flush();
    assert.ok(count(file, 'doppel_samples') >= 400, 'samples were written');
    const deleted = await store.applyRetention();
    assert.ok(deleted >= 350);
    assert.ok(count(file, 'doppel_samples') <= 50);
    assert.ok(count(file, 'doppel_exchanges') <= 50);
    sizes.push(size(file));
  }
  assert.equal(agg.endpoints().reduce((n, e) => n + e.compared, 0), 2000, 'counters are kept');
  const bound = 50 * 2 * 20_000 * 1.5 + 4 * 1024 * 1024;
  for (const s of sizes) assert.ok(s < bound, `file ${s} bytes stays under ${bound}`);
  assert.ok(sizes[4] <= sizes[0] * 1.5 + 1024 * 1024, `no growth across cycles: ${sizes.join(', ')}`);
  await store.close();
});

test('retention by age deletes old samples, and endpoints not updated for maxAge', async () => {
  const file = join(dir, 'age.db');
  let now = Date.now();
  const store = await openStore(file, { retention: { maxAge: 3_600_000, maxSamples: 0 }, flushInterval: 0, retentionInterval: 0, now: () => now });
  const agg = new ShadowAggregator({ store });
  for (let i = 0; i < 10; i++) agg.record(outcome('old', i, now - 2 * 3_600_000));
  for (let i = 0; i < 10; i++) agg.record(outcome('new', i));
  await store.flush();
  await store.applyRetention();
  assert.equal(count(file, 'doppel_samples'), 10, 'the old samples went');
  assert.equal(agg.endpoints().length, 2, 'both endpoints were updated recently');
  now += 2 * 3_600_000;
  agg.record(outcome('new', 99));
  await store.applyRetention();
  assert.deepEqual(agg.endpoints().map((e) => e.route), ['new'], 'the endpoint not updated for maxAge went');
  await store.close();
});

function writer(file: string, n: number): Promise<number | null> {
  const script = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, file, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

test('two processes writing to one file concurrently add up without corrupting it', async () => {
  const file = join(dir, 'shared.db');
  await (await openStore(file)).close();
  const codes = await Promise.all([writer(file, 1500), writer(file, 1500)]);
  assert.deepEqual(codes, [0, 0]);
  const db = new Database(file, { readonly: true });
  assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0].integrity_check, 'ok');
  db.close();
  const store = await openStore(file);
  const [row] = new ShadowAggregator({ store }).endpoints();
  assert.equal(row.requests, 3000);
  assert.equal(row.compared, 3000);
  const plan = row.fields.find((f) => f.path === 'body.plan')!;
  assert.equal(plan.differences, 1500);
  assert.equal(plan.samples.length, 5);
  assert.equal(row.latency.primary.total.count, 3000);
  await store.close();
});
