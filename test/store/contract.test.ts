/**
 * One contract for both result stores, run against a SQLite file and a real PostgreSQL
 * server: counts, bounded samples, marks, clear, latency round trip, restart, and two
 * writers on one database adding up.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShadowAggregator, type ShadowOutcome } from '../../src/report/aggregate.js';
import type { SampleExchangeParts } from '../../src/report/aggregate-types.js';
import { LatencySketch } from '../../src/report/latency.js';
import { openStore, type PersistentStore } from '../../src/store/index.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';

const EP = { route: 'api', candidate: 'v2', endpoint: 'GET /users/:id' };

const parts = (i: number): SampleExchangeParts => ({
  request: { method: 'GET', url: `/users/${i}`, headers: { accept: '*/*' } },
  primary: { status: 200, headers: {}, bodyType: 'json', body: { id: i, plan: 'free' }, size: 20, truncated: false },
  candidate: { status: 200, headers: {}, bodyType: 'json', body: { id: i, plan: 'pro' }, size: 19, truncated: false },
});

function outcome(i: number, changed: boolean): ShadowOutcome {
  return {
    route: 'api', method: 'GET', url: `/users/${i}`, candidate: 'v2', result: 'compared',
    raw: changed ? [{ path: 'body.plan', kind: 'changed', primary: 'free', candidate: 'pro' }, { path: 'body.at', kind: 'changed', primary: 1, candidate: 2 }] : [],
    noise: [{ path: 'body.at', kind: 'changed', primary: 1, candidate: 3 }],
    timings: { primary: { ttfb: 10 + (i % 5), total: 20 + (i % 7) }, candidate: { ttfb: 12, total: 30 + (i % 3) }, secondary: { ttfb: 9, total: 19 } },
    at: Date.now(),
    exchange: () => parts(i),
  };
}

/** The contract, for stores opened by `open` (each call: a handle on the same database). */
function contract(kind: string, setup: () => Promise<((fresh?: boolean) => Promise<PersistentStore>) | null>): void {
  describe(`${kind} store contract`, () => {
    let open: ((fresh?: boolean) => Promise<PersistentStore>) | null = null;
    before(async () => {
      open = await setup();
    });
    const ready = (t: { skip(msg: string): void }): boolean => {
      if (open) return true;
      t.skip('PostgreSQL is not available');
      return false;
    };

    it('counts, bounded samples with exchanges, latency; restart keeps everything', async (t) => {
      if (!ready(t)) return;
      let store = await open!(true);
      const agg = new ShadowAggregator({ store, samplesPerField: 3 });
      for (let i = 0; i < 40; i++) agg.record(outcome(i, i % 4 === 0));
      const before = agg.endpoints();
      const [row] = before;
      assert.equal(row.compared, 40);
      assert.equal(row.matches, 30);
      const plan = row.fields.find((f) => f.path === 'body.plan')!;
      assert.deepEqual([plan.differences, plan.noise, plan.verdict, plan.samples.length], [10, 0, 'regression', 3]);
      const at = row.fields.find((f) => f.path === 'body.at')!;
      assert.deepEqual([at.differences, at.noise, at.verdict], [10, 40, 'noise']);
      await store.close();

      store = await open!();
      const reopened = new ShadowAggregator({ store, samplesPerField: 3 });
      assert.deepEqual(reopened.endpoints(), before, 'the same report after a restart');
      const sample = reopened.endpoints()[0].fields.find((f) => f.path === 'body.plan')!.samples[0];
      const ex = await store.getExchange(sample.id!);
      assert.deepEqual(ex?.candidate.body, { id: 0, plan: 'pro' });
      assert.deepEqual(ex?.source, EP);
      assert.equal(ex?.differences.length, 2);
      const sketch = new LatencySketch();
      for (let i = 0; i < 40; i++) sketch.add(20 + (i % 7));
      assert.deepEqual(reopened.endpoints()[0].latency.primary.total, sketch.summary(), 'latency round trip');
      assert.equal(reopened.endpoints()[0].latency.secondary?.total.count, 40);
      // more samples never go past the bound, also after the restart
      for (let i = 40; i < 60; i++) reopened.record(outcome(i, true));
      await store.flush();
      await store.refresh();
      assert.equal(reopened.endpoints()[0].fields.find((f) => f.path === 'body.plan')!.samples.length, 3);
      await store.close();
    });

    it('marks persist and apply to new comparisons; clear keeps them unless asked', async (t) => {
      if (!ready(t)) return;
      let store = await open!(true);
      let agg = new ShadowAggregator({ store });
      store.setMark(EP, 'body.plan|changed', 'noise');
      store.setMark(EP, 'body.at|changed', 'ignored');
      await store.close();
      store = await open!();
      agg = new ShadowAggregator({ store });
      assert.deepEqual(store.marks().map((m) => [m.field, m.mark]).sort(), [['body.at|changed', 'ignored'], ['body.plan|changed', 'noise']]);
      for (let i = 0; i < 10; i++) assert.equal(agg.record(outcome(i, true)).result, 'noise');
      const [row] = agg.endpoints();
      assert.equal(row.regressions, 0);
      assert.deepEqual(row.fields.map((f) => [f.path, f.mark, f.verdict]), [['body.plan', 'noise', 'noise']], 'ignored field not counted');
      store.setMark(EP, 'body.plan|changed', null);
      assert.equal(agg.record(outcome(11, true)).result, 'regression');
      agg.reset();
      await store.flush();
      assert.deepEqual(agg.endpoints(), []);
      await store.close();
      store = await open!();
      assert.deepEqual(store.list(), [], 'clear reached the database');
      assert.deepEqual(store.marks().map((m) => m.field), ['body.at|changed']);
      store.clearMarks();
      await store.close();
      store = await open!();
      assert.deepEqual(store.marks(), []);
      await store.close();
    });

    it('two writers on one database add up', async (t) => {
      if (!ready(t)) return;
      const a = await open!(true);
      const b = await open!();
      const aggA = new ShadowAggregator({ store: a, samplesPerField: 4 });
      const aggB = new ShadowAggregator({ store: b, samplesPerField: 4 });
      for (let i = 0; i < 100; i++) {
        aggA.record(outcome(i, i % 2 === 0));
        aggB.record(outcome(i, i % 2 === 0));
        if (i % 25 === 0) await Promise.all([a.flush(), b.flush()]);
      }
      await Promise.all([a.close(), b.close()]);
      const c = await open!();
      const [row] = new ShadowAggregator({ store: c }).endpoints();
      assert.equal(row.compared, 200);
      assert.equal(row.regressions + row.matches + (row.compared - row.regressions - row.matches), 200);
      const plan = row.fields.find((f) => f.path === 'body.plan')!;
      assert.equal(plan.differences, 100);
      assert.equal(plan.samples.length, 4, 'the sample bound holds across writers');
      assert.equal(row.latency.primary.total.count, 200);
      await c.close();
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'doppel-contract-'));
let n = 0;
contract('SQLite', async () => {
  let file = '';
  return async (fresh) => {
    if (fresh || !file) file = join(dir, `contract-${++n}.db`);
    return openStore(file, { flushInterval: 50 });
  };
});

let server: PostgresServer | null = null;
contract('PostgreSQL', async () => {
  const s = await startPostgres();
  if ('skip' in s) {
    process.stderr.write(`skipping the PostgreSQL store contract: ${s.skip}\n`);
    return null;
  }
  server = s;
  let url = '';
  return async (fresh) => {
    if (fresh || !url) url = await s.createDatabase(`contract_${++n}`);
    return openStore(url, { flushInterval: 50, refreshInterval: 200 });
  };
});
after(async () => {
  await server?.stop();
});
