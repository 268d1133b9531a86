/** Mirror targets with `pipelining`: copies share connections and nothing is lost. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { config, route, target } from '../helpers/config.js';
import { eventually, sleep } from '../helpers/servers.js';
import { metricValue, request, sha256 } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';

const { add, upstream } = cleanup();
const outcome = (admin: string, t: string, o: string) => metricValue(admin, 'doppel_mirror_requests_total', { target: t, outcome: o });

test('pipelined GET and POST copies all arrive, and GET copies share connections', async () => {
  const primary = await upstream();
  const mirror = await upstream(async (_req, res) => {
    await sleep(20);
    res.end('copy');
  });
  let connections = 0;
  mirror.server.on('connection', () => connections++);
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'm', pipelining: 8 })])]));
  add(s.close);
  const bodies = Array.from({ length: 10 }, () => randomBytes(2_000));
  const replies = await Promise.all([
    ...Array.from({ length: 40 }, (_, i) => request(s.base, `/get/${i}`)),
    ...bodies.map((b, i) => request(s.base, `/post/${i}`, { method: 'POST', body: b })),
  ]);
  for (const r of replies) assert.equal(r.status, 200);
  const got = await mirror.waitFor(50);
  assert.deepEqual(got.filter((r) => r.method === 'GET').map((r) => r.url).sort(), Array.from({ length: 40 }, (_, i) => `/get/${i}`).sort());
  for (const [i, b] of bodies.entries()) assert.equal(got.find((r) => r.url === `/post/${i}`)?.sha256, sha256(b));
  await eventually(async () => (await outcome(s.admin, 'm', 'ok')) === 50, 5_000, 'every copy counted ok');
  assert.ok(connections < 50, `${connections} connections for 50 copies`);
});

/** A proxy whose pipelined mirror (`closing`, pipelining 4) closes the connection after every answer. */
async function closingMirror() {
  const primary = await upstream();
  const mirror = await upstream((_req, res) => {
    res.writeHead(200, { connection: 'close' });
    res.end('bye');
  });
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'closing', pipelining: 4 })])]));
  add(s.close);
  return { primary, mirror, s };
}

test('a pipelined mirror that closes each connection: clients unharmed, every copy counted once, copies behind it resent', async () => {
  const { primary, mirror, s } = await closingMirror();
  const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => request(s.base, `/c/${i}`)));
  for (const r of replies) assert.equal(r.status, 200);
  assert.equal(primary.received.length, 30);
  await eventually(async () => (await outcome(s.admin, 'closing', 'ok')) + (await outcome(s.admin, 'closing', 'error')) === 30, 5_000, 'every copy counted');
  assert.ok((await outcome(s.admin, 'closing', 'ok')) >= 1);
  // Copies written behind the answered one are sent again on a new connection (HTTP lets a
  // client resend GET and HEAD requests), so the mirror may see some twice: documented.
  const paths = new Set(mirror.received.map((r) => r.url));
  assert.ok(paths.size >= (await outcome(s.admin, 'closing', 'ok')), `${paths.size} distinct copies arrived`);
});

test('POST copies to a pipelined mirror that closes each connection arrive once each, bodies whole', async () => {
  const { primary, mirror, s } = await closingMirror();
  const bodies = Array.from({ length: 20 }, () => randomBytes(30_000));
  const replies = await Promise.all(bodies.map((b, i) => request(s.base, `/p/${i}`, { method: 'POST', body: b })));
  for (const r of replies) assert.equal(r.status, 200);
  await eventually(async () => (await outcome(s.admin, 'closing', 'ok')) === 20, 5_000, 'every copy answered');
  // A request with a body is never sent twice, and never behind another on a connection.
  assert.equal(mirror.received.length, 20);
  for (const [i, b] of bodies.entries()) assert.equal(mirror.received.find((r) => r.url === `/p/${i}`)?.sha256, sha256(b));
});

test('a reload that changes pipelining moves copies to a new pool and closes the old one', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const open = new Set<Socket>();
  const seen: Socket[] = [];
  mirror.server.on('connection', (socket) => {
    open.add(socket);
    seen.push(socket);
    socket.on('close', () => open.delete(socket));
  });
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'm' })])]));
  add(s.close);
  for (let i = 0; i < 5; i++) assert.equal((await request(s.base, `/one/${i}`)).status, 200);
  await mirror.waitFor(5);
  const before = [...seen];
  assert.ok(before.length >= 1);
  assert.equal(s.app.reload(config([route(primary.url, [target(mirror.url, { name: 'm', pipelining: 8 })])])), true);
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => request(s.base, `/eight/${i}`)));
  for (const r of replies) assert.equal(r.status, 200);
  await mirror.waitFor(25);
  assert.deepEqual(mirror.received.filter((r) => r.url.startsWith('/eight/')).map((r) => r.url).sort(), Array.from({ length: 20 }, (_, i) => `/eight/${i}`).sort());
  await eventually(() => before.every((socket) => !open.has(socket)), 5_000, 'the pool of pipelining 1 to close its connections');
  assert.ok(seen.length > before.length, 'the copies after the reload came on new connections');
});
