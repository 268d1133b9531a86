/**
 * Where comparisons run: the worker thread (its results, its CPU priority) and the
 * comparison queue that, once full, stops shadowing new requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { captureFromBuffer, compareResponses, defaultCompareRules } from '../../src/compare/index.js';
import type { CapturedResponse, CompareResult, CompareRules } from '../../src/compare/types.js';
import { defaultTimeouts } from '../../src/config/defaults.js';
import { PoolSet } from '../../src/primary/pools.js';
import { ShadowAggregator } from '../../src/report/aggregate.js';
import { Metrics } from '../../src/report/metrics.js';
import { ThreadComparer, type Comparer } from '../../src/shadow/comparer.js';
import { ShadowReporter } from '../../src/shadow/reporter.js';
import { ShadowStage } from '../../src/shadow/stage.js';
import { route, shadowSpec } from '../helpers/config.js';
import { sleep } from '../helpers/servers.js';
import { cleanup } from '../helpers/cleanup.js';

const { add, upstream } = cleanup();
const json = { 'content-type': 'application/json' };

/** Nice value of each thread of this process, by thread id (Linux). */
function niceByThread(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; nice is field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[19 - 3]));
  }
  return out;
}

test('the comparison thread gives the same result as comparing inline', async () => {
  const comparer = new ThreadComparer(undefined, 200);
  add(() => comparer.close());
  const rules = defaultCompareRules();
  const p = captureFromBuffer(200, json, '{"user":{"name":"a","tags":[1,2]},"at":1}');
  const c = captureFromBuffer(200, json, '{"at":2,"user":{"tags":[1,3],"name":"a"}}');
  const [threaded, inline] = await Promise.all([comparer.compare(p, c, rules), compareResponses(p, c, rules)]);
  assert.deepEqual(threaded, inline);
  assert.deepEqual(
    threaded.differences.map((d) => d.path),
    ['body.user.tags[1]', 'body.at'],
  );
});

test('the comparison thread runs at the lowest CPU priority; the proxy thread keeps its own', { skip: !existsSync('/proc/thread-self') && 'needs Linux /proc' }, async () => {
  const before = niceByThread();
  const own = before.get(process.pid)!;
  const comparer = new ThreadComparer(undefined, 60_000);
  add(() => comparer.close());
  const p = captureFromBuffer(200, json, '{"a":1}');
  await comparer.compare(p, captureFromBuffer(200, json, '{"a":2}'), defaultCompareRules());
  const after = niceByThread();
  const added = [...after].filter(([tid]) => !before.has(tid));
  assert.ok(added.length > 0, 'the comparison thread is a thread of this process');
  assert.ok(
    added.some(([, nice]) => nice === 19),
    `a new thread at nice 19: ${JSON.stringify(added)}`,
  );
  assert.equal(after.get(process.pid), own, 'the main thread keeps its priority');
});

/** A comparer whose comparisons wait until released. */
function heldComparer(): Comparer & { release(): void; started: number } {
  const waiting: (() => void)[] = [];
  const held = {
    concurrency: 1,
    started: 0,
    compare(p: CapturedResponse, c: CapturedResponse, rules: CompareRules): Promise<CompareResult> {
      held.started++;
      return new Promise<void>((r) => waiting.push(r)).then(() => compareResponses(p, c, rules));
    },
    release() {
      for (const r of waiting.splice(0)) r();
    },
  };
  return held;
}

test('with the comparison queue full, new requests are not shadowed: the candidate never sees them and they count as skipped', async () => {
  const candidate = await upstream((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, json);
    res.end('{"v":2}');
  });
  const spec = route('http://127.0.0.1:9', [], { name: 'r', shadow: shadowSpec(candidate.url) });
  const metrics = new Metrics();
  const aggregator = new ShadowAggregator();
  const comparer = heldComparer();
  const reporter = new ShadowReporter({ aggregator, metrics, logger: pino({ level: 'silent' }), maxQueue: 2, comparer });
  const pools = new PoolSet(defaultTimeouts());
  add(() => pools.close(true));
  const stage = new ShadowStage(spec, spec.shadow!, pools, reporter);

  /** One client exchange: the primary answered {"v":1}. */
  const exchange = async (i: number): Promise<boolean> => {
    const copy = { method: 'GET', url: `/items/${i}`, headers: [], host: 'example.test' };
    const ticket = stage.begin({ route: 'r', method: 'GET', url: copy.url, copy, rawHeaders: [], clientIp: '127.0.0.1', bodyLength: 0 });
    if (ticket === null) return false;
    ticket.tap!.start(200, ['content-type', 'application/json']);
    ticket.tap!.data(Buffer.from('{"v":1}'));
    ticket.tap!.end();
    ticket.done({ status: 200, ttfb: 1, duration: 1 });
    while (stage.inFlight > 0) await sleep(5);
    return true;
  };

  // The first job goes to the (held) comparer, the next two fill the queue of 2.
  const shadowed: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    shadowed.push(await exchange(i));
    await sleep(10);
  }
  assert.equal(comparer.started, 1);
  assert.equal(reporter.full, true);
  for (let i = 3; i < 6; i++) shadowed.push(await exchange(i));
  assert.deepEqual(shadowed, [true, true, true, false, false, false]);
  assert.deepEqual(
    candidate.received.map((r) => r.url),
    ['/items/0', '/items/1', '/items/2'],
  );

  comparer.release();
  while (comparer.started < 3 || reporter.pending > 0) {
    comparer.release();
    await sleep(5);
  }
  await reporter.idle();
  const row = aggregator.endpoints()[0];
  assert.deepEqual([row.requests, row.compared, row.skipped, row.regressions], [6, 3, 3, 3]);
  assert.equal(reporter.full, false);
});

test('comparisons on the event loop yield to I/O between slices: a callback queued after 50 slow jobs runs while most still wait', async () => {
  const spec = route('http://127.0.0.1:9', [], { name: 'r', shadow: shadowSpec('http://127.0.0.1:9') });
  // Each comparison holds the thread for 1 ms, as a large document would.
  const slow: Comparer = {
    concurrency: 1,
    compare(p, c, rules) {
      const end = performance.now() + 1;
      while (performance.now() < end);
      return compareResponses(p, c, rules);
    },
  };
  const aggregator = new ShadowAggregator();
  const reporter = new ShadowReporter({ aggregator, metrics: new Metrics(), logger: pino({ level: 'silent' }), comparer: slow });
  const ok = (body: string) => ({ ok: true as const, response: captureFromBuffer(200, json, body), ttfb: 1, total: 1 });
  for (let i = 0; i < 50; i++) {
    reporter.submit({ route: spec, method: 'GET', url: `/items/${i}`, at: Date.now(), primary: ok('{"v":1}'), candidates: [{ name: 'candidate', result: ok('{"v":2}') }], secondary: null });
  }
  const waitingWhenIoRan = await new Promise<number>((r) => setImmediate(() => r(reporter.pending)));
  assert.ok(waitingWhenIoRan > 25, `jobs still queued when the event loop turned: ${waitingWhenIoRan}`);
  await reporter.idle();
  assert.equal(aggregator.endpoints()[0].compared, 50);
});
