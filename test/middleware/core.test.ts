/** The framework-agnostic engine: handle() with Buffer, stream and no body; copy shaping; limits. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { createMirror, type MirrorEngine } from '../../src/middleware/core.js';
import { startUpstream, sleep, type Upstream } from '../helpers/servers.js';
import { sha256 } from '../helpers/request.js';
import type { DoppelError } from '../../src/core/errors.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});
async function upstream(...args: Parameters<typeof startUpstream>): Promise<Upstream> {
  const u = await startUpstream(...args);
  closers.push(u.close);
  return u;
}
function engine(...args: Parameters<typeof createMirror>): MirrorEngine {
  const e = createMirror(...args);
  closers.push(() => e.close());
  return e;
}

const info = (method: string, url: string, rawHeaders: string[]) => ({ method, url, rawHeaders, clientIp: '10.0.0.1' });

test('handle() with a Buffer: body and Content-Length; resolves once the copy finished', async () => {
  let done = false;
  const m = await upstream(async (_req, res) => {
    await sleep(100);
    done = true;
    res.end();
  });
  const e = engine(m.url);
  const body = Buffer.from('{"a":1}');
  await e.handle(info('POST', '/x?y=1', ['Host', 'app.local', 'Content-Type', 'application/json', 'Transfer-Encoding', 'chunked']), body);
  assert.equal(done, true);
  const [got] = m.received;
  assert.equal(got.url, '/x?y=1');
  assert.equal(got.body.toString(), '{"a":1}');
  assert.equal(got.headers['content-length'], '7');
  assert.equal(got.headers['transfer-encoding'], undefined);
  assert.equal(got.headers['x-mirrored-from'], 'app.local');
  assert.equal(e.inFlight(), 0);
});

test('handle() with a stream (consumed) and with no body', async () => {
  const m = await upstream();
  const e = engine(m.url);
  const parts = [randomBytes(50_000), randomBytes(50_000)];
  await e.handle(info('PUT', '/s', ['Host', 'h', 'Transfer-Encoding', 'chunked']), Readable.from(parts));
  await e.handle(info('GET', '/n', ['Host', 'h']), null);
  assert.equal(m.received[0].sha256, sha256(Buffer.concat(parts)));
  assert.equal(m.received[1].method, 'GET');
  assert.equal(m.received[1].body.length, 0);
});

test('copies: hop-by-hop and Connection-named headers dropped, headers set/removed, rewrite, host modes, method filter', async () => {
  const m = await upstream();
  const e = engine({
    targets: [
      { url: `${m.url}/mirror`, name: 'one', headers: { set: { 'x-env': 'staging' }, remove: ['authorization'] }, rewrite: { stripPrefix: '/api' }, host: 'original' },
      { url: m.url, name: 'two', methods: ['POST'], host: 'shadow-suffix' },
    ],
  });
  const raw = ['Host', 'shop.local:8080', 'Connection', 'keep-alive, x-hop', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Authorization', 'secret', 'X-Keep', 'yes'];
  await e.handle(info('GET', '/api/items?q=1', raw), null);
  await e.handle(info('POST', '/api/items', [...raw, 'Content-Length', '2']), Buffer.from('{}'));
  assert.equal(m.received.length, 3);
  const get = m.received.find((r) => r.method === 'GET')!;
  assert.equal(get.url, '/mirror/items?q=1');
  assert.equal(get.headers.host, 'shop.local:8080');
  assert.equal(get.headers['x-env'], 'staging');
  assert.equal(get.headers['x-keep'], 'yes');
  for (const h of ['authorization', 'x-hop', 'keep-alive', 'te']) assert.equal(get.headers[h], undefined, h);
  const two = m.received.find((r) => r.method === 'POST' && r.url === '/api/items')!;
  assert.equal(two.headers.host, 'shop.local-shadow:8080');
  assert.equal(two.headers.authorization, 'secret');
});

test('loop protection and event streams: no copy, resolves at once', async () => {
  const m = await upstream();
  const e = engine(m.url);
  assert.equal(e.begin(info('GET', '/', ['X-Mirrored-From', 'other'])), null);
  assert.equal(e.begin(info('GET', '/events', ['Accept', 'text/event-stream'])), null);
  await e.handle(info('GET', '/', ['x-mirrored-from', 'a']), null);
  await sleep(50);
  assert.equal(m.received.length, 0);
});

test('maxInFlight drops the excess copies; a Buffer over maxBodySize is dropped; onError says why', async () => {
  const m = await upstream(async (_req, res) => {
    await sleep(200);
    res.end();
  });
  const errors: string[] = [];
  const e = engine({ targets: [m.url], maxInFlight: 2, maxBodySize: 10, onError: (_t, err: DoppelError) => errors.push(err.code) });
  const all = [1, 2, 3].map((i) => e.handle(info('GET', `/${i}`, []), null));
  await e.handle(info('POST', '/big', []), Buffer.alloc(11));
  await Promise.all(all);
  assert.deepEqual(errors.sort(), ['DOPPEL_ERR_MIRROR_BODY_SIZE', 'DOPPEL_ERR_MIRROR_INFLIGHT']);
  assert.equal(m.received.length, 2);
});

test('timeout: a copy slower than its timeout is counted as a timeout', async () => {
  const m = await upstream(async (_req, res) => {
    await sleep(500);
    res.end();
  });
  const errors: string[] = [];
  const e = engine({ targets: [m.url], timeout: 100, onError: (_t, err) => errors.push(err.code) });
  const started = Date.now();
  await e.handle(info('GET', '/', []), null);
  assert.ok(Date.now() - started < 400);
  assert.deepEqual(errors, ['DOPPEL_ERR_MIRROR_TIMEOUT']);
});

test('a hook that throws does not reach the caller', async () => {
  const m = await upstream();
  const e = engine({ targets: [m.url], onSuccess: () => { throw new Error('boom'); } });
  await e.handle(info('GET', '/', []), null);
  assert.equal(m.received.length, 1);
});
