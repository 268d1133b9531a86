/** Mirror limits: body size, in-flight, rate, circuit breaker, timeout, loop protection, hash sampling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { config, route, target } from '../helpers/config.js';
import { deadPort, eventually, sleep } from '../helpers/servers.js';
import { metricValue, request, sha256 } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';
import { CircuitBreaker } from '../../src/mirror/limits.js';

const { add, upstream } = cleanup();
/** A server that accepts requests and never answers. */
async function blackHole(): Promise<{ url: string; seen: () => number }> {
  let seen = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(() => void seen++);
  server.on('connection', (s) => sockets.add(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  add(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen: () => seen };
}
const outcome = (admin: string, t: string, o: string) => metricValue(admin, 'doppel_mirror_requests_total', { target: t, outcome: o });

test('a body over maxBodySize reaches the primary intact and is not mirrored (fixed and chunked)', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'm', maxBodySize: 100_000 })])]));
  add(s.close);
  const big = randomBytes(250_000);
  assert.equal((await request(s.base, '/big', { method: 'POST', body: big })).status, 200);
  const parts = Array.from({ length: 25 }, () => randomBytes(10_000));
  assert.equal((await request(s.base, '/bigchunked', { method: 'POST', body: parts })).status, 200);
  await request(s.base, '/small', { method: 'POST', body: 'ok' });
  await mirror.waitFor(1);
  await sleep(150);
  const p = new Map(primary.received.map((r) => [r.url, r.sha256]));
  assert.equal(p.get('/big'), sha256(big));
  assert.equal(p.get('/bigchunked'), sha256(Buffer.concat(parts)));
  assert.deepEqual(mirror.received.filter((r) => r.body.length > 100).map((r) => r.url), []);
  assert.equal(await outcome(s.admin, 'm', 'dropped_body_size'), 2);
  assert.equal(await outcome(s.admin, 'm', 'ok'), 1);
});

test('maxInFlight: copies beyond the limit are dropped and counted; memory stays flat with a mirror that never answers', async () => {
  const primary = await upstream();
  const hole = await blackHole();
  const s = await startStack(config([route(primary.url, [target(hole.url, { name: 'hole', maxInFlight: 20, timeout: 60_000 })])]));
  add(s.close);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const runBatch = async (n: number) => {
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) jobs.push(request(s.base, `/r/${i}`, { agent, method: 'POST', body: randomBytes(2048) }));
    const replies = (await Promise.all(jobs)) as { status: number }[];
    assert.ok(replies.every((r) => r.status === 200));
  };
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // Several collections with turns of the event loop between them, so buffers and handles
  // released by callbacks after the first one are counted as freed.
  const used = async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  // The recording upstream keeps every request it saw; drop those records so only doppel's memory is measured.
  await runBatch(500);
  primary.received.length = 0;
  const before = await used();
  await runBatch(3_000);
  primary.received.length = 0;
  const grown = ((await used()) - before) / 1048576;
  agent.destroy();
  assert.equal(s.app.proxy.copiesInFlight(), 20);
  await eventually(() => hole.seen() === 20, 2_000, 'hole to see 20 requests');
  assert.equal(await outcome(s.admin, 'hole', 'dropped_inflight'), 3_500 - 20);
  // 3,000 queued copies would hold at least their 6 MiB of bodies.
  assert.ok(grown < 4, `heap grew ${grown.toFixed(1)} MiB over 3,000 requests`);
});

test('rate caps copies per second; the rest are dropped_rate', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'r', rate: 5 })])]));
  add(s.close);
  for (let i = 0; i < 30; i++) await request(s.base, `/rate/${i}`);
  const ok = await outcome(s.admin, 'r', 'ok');
  const dropped = await outcome(s.admin, 'r', 'dropped_rate');
  assert.equal(ok + dropped + (s.app.proxy.copiesInFlight()), 30);
  assert.ok(ok >= 5 && ok <= 8, `${ok} copies passed a 5/s limit`);
});

test('circuit breaker opens after consecutive failures and probes after the cooldown', async () => {
  const primary = await upstream();
  const dead = `http://127.0.0.1:${await deadPort()}`;
  const s = await startStack(config([route(primary.url, [target(dead, { name: 'dead', breaker: { failures: 3, cooldown: 300 } })])]));
  add(s.close);
  for (let i = 0; i < 3; i++) {
    await request(s.base, `/cb/${i}`);
    await eventually(async () => (await outcome(s.admin, 'dead', 'error')) === i + 1, 2_000, 'error counted');
  }
  for (let i = 0; i < 5; i++) await request(s.base, `/open/${i}`);
  assert.equal(await outcome(s.admin, 'dead', 'circuit_open'), 5);
  await sleep(350);
  await request(s.base, '/probe');
  await eventually(async () => (await outcome(s.admin, 'dead', 'error')) === 4, 2_000, 'probe to fail');
  await request(s.base, '/after-probe');
  assert.equal(await outcome(s.admin, 'dead', 'circuit_open'), 6);
});

test('a mirror over its timeout is cut off and counted as timeout', async () => {
  const primary = await upstream();
  const hole = await blackHole();
  const codes: string[] = [];
  const s = await startStack(config([route(primary.url, [target(hole.url, { name: 'slow', timeout: 150 })])]), { hooks: { onError: (_t, e) => codes.push(e.code) } });
  add(s.close);
  const reply = await request(s.base, '/t');
  assert.equal(reply.status, 200);
  await eventually(() => codes.length === 1, 2_000, 'timeout');
  assert.deepEqual(codes, ['DOPPEL_ERR_MIRROR_TIMEOUT']);
  assert.equal(await outcome(s.admin, 'slow', 'timeout'), 1);
  assert.equal(s.app.proxy.copiesInFlight(), 0);
});

test('a request already carrying X-Mirrored-From is not mirrored again', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url)])]));
  add(s.close);
  await request(s.base, '/looped', { headers: { 'x-mirrored-from': 'elsewhere' } });
  await request(s.base, '/fresh');
  await mirror.waitFor(1);
  await sleep(100);
  assert.deepEqual(mirror.received.map((r) => r.url), ['/fresh']);
  assert.equal(primary.received.length, 2);
});

test('hash sampling keeps each user consistently in or out', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { sample: { percent: 50, mode: 'hash', key: { source: 'header', name: 'x-user-id' } } })])]));
  add(s.close);
  const users = Array.from({ length: 60 }, (_, i) => `user-${i}`);
  for (let round = 0; round < 3; round++) for (const u of users) await request(s.base, `/u?round=${round}`, { headers: { 'x-user-id': u } });
  await sleep(200);
  const perUser = new Map<string, number>();
  for (const r of mirror.received) perUser.set(String(r.headers['x-user-id']), (perUser.get(String(r.headers['x-user-id'])) ?? 0) + 1);
  for (const n of perUser.values()) assert.equal(n, 3, 'a user is mirrored on every request or none');
  assert.ok(perUser.size >= 15 && perUser.size <= 45, `${perUser.size} of 60 users in`);
});

test('circuit breaker: a probe that is not sent after all is released for the next request', async () => {
  const b = new CircuitBreaker(1, 40);
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.allow(), false);
  await sleep(50);
  assert.equal(b.allow(), true, 'the probe goes');
  assert.equal(b.allow(), false, 'one probe at a time');
  b.release();
  assert.equal(b.state, 'half-open');
  assert.equal(b.allow(), true, 'the next request probes instead');
  b.success();
  assert.equal(b.state, 'closed');
  b.release();
  assert.equal(b.allow(), true, 'releasing a closed circuit changes nothing');
});
