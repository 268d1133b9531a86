/** The go-mizu mirror middleware's test table, as behaviour of the proxy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { config, route, target } from '../helpers/config.js';
import { deadPort, eventually, sleep } from '../helpers/servers.js';
import { request, sha256 } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';
import type { DoppelError } from '../../src/core/errors.js';
import type { MirrorResponse } from '../../src/mirror/target.js';

const { add, upstream } = cleanup();

test('a single target receives the request: method, path, query, headers and X-Mirrored-From', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url)])]));
  add(s.close);
  const reply = await request(s.base, '/users/7?fields=name', { method: 'PUT', headers: { host: 'api.example.com', 'x-custom': 'abc', 'content-type': 'text/plain' }, body: 'hello' });
  assert.equal(reply.status, 200);
  const [got] = await mirror.waitFor(1);
  assert.equal(got.method, 'PUT');
  assert.equal(got.url, '/users/7?fields=name');
  assert.equal(got.headers['x-custom'], 'abc');
  assert.equal(got.headers['x-mirrored-from'], 'api.example.com');
  assert.equal(got.body.toString(), 'hello');
  assert.equal(primary.received.length, 1);
  assert.equal(primary.received[0].headers['x-mirrored-from'], undefined);
});

test('async: the client is answered before a slow mirror finishes', async () => {
  const primary = await upstream();
  let mirrorDone = 0;
  const mirror = await upstream(async (_req, res) => {
    await sleep(1_500);
    mirrorDone = Date.now();
    res.end('late');
  });
  const s = await startStack(config([route(primary.url, [target(mirror.url)])]));
  add(s.close);
  const reply = await request(s.base, '/slow');
  const answeredAt = Date.now();
  assert.equal(reply.status, 200);
  assert.ok(reply.ms < 750, `client waited ${reply.ms} ms for a 1.5 s mirror`);
  await mirror.waitFor(1);
  assert.equal(mirrorDone, 0, 'mirror was still working when the client had its answer');
  await eventually(() => mirrorDone > 0, 3_000, 'mirror to finish');
  assert.ok(mirrorDone > answeredAt);
});

test('50% counter sampling mirrors exactly every other request; random stays within bounds', async () => {
  const primary = await upstream();
  const counted = await upstream();
  const random = await upstream();
  const s = await startStack(
    config([
      route(primary.url, [
        target(counted.url, { name: 'counter', sample: { percent: 50, mode: 'counter' } }),
        target(random.url, { name: 'random', sample: { percent: 50, mode: 'random' } }),
      ]),
    ]),
  );
  add(s.close);
  for (let i = 0; i < 400; i++) await request(s.base, `/n/${i}`);
  await counted.waitFor(200);
  await sleep(100);
  assert.deepEqual(
    counted.received.map((r) => r.url).sort(),
    Array.from({ length: 200 }, (_, k) => `/n/${2 * k}`).sort(),
  );
  // Binomial(400, 0.5): mean 200, sd 10; 6 sd either side.
  assert.ok(random.received.length >= 140 && random.received.length <= 260, `random sampled ${random.received.length}`);
});

test('multiple targets all receive every request', async () => {
  const primary = await upstream();
  const mirrors = [await upstream(), await upstream(), await upstream()];
  const s = await startStack(config([route(primary.url, mirrors.map((m, i) => target(m.url, { name: `m${i}` })))]));
  add(s.close);
  for (let i = 0; i < 5; i++) await request(s.base, `/multi/${i}`);
  for (const m of mirrors) {
    await m.waitFor(5);
    assert.deepEqual(m.received.map((r) => r.url).sort(), ['/multi/0', '/multi/1', '/multi/2', '/multi/3', '/multi/4']);
  }
});

test('onError fires for a failing target and onSuccess gets the status', async () => {
  const primary = await upstream();
  const ok = await upstream((_req, res) => {
    res.writeHead(201);
    res.end('created');
  });
  const errors: [string, DoppelError][] = [];
  const successes: [string, MirrorResponse][] = [];
  const dead = `http://127.0.0.1:${await deadPort()}`;
  const s = await startStack(config([route(primary.url, [target(ok.url, { name: 'ok' }), target(dead, { name: 'dead' })])]), {
    hooks: { onError: (t, e) => errors.push([t, e]), onSuccess: (t, r) => successes.push([t, r]) },
  });
  add(s.close);
  const reply = await request(s.base, '/hooks');
  assert.equal(reply.status, 200);
  await eventually(() => errors.length === 1 && successes.length === 1, 3_000, 'hooks');
  assert.equal(errors[0][0], 'dead');
  assert.equal(errors[0][1].code, 'DOPPEL_ERR_MIRROR_CONNECT');
  assert.equal(successes[0][0], 'ok');
  assert.equal(successes[0][1].status, 201);
  assert.ok(successes[0][1].duration >= successes[0][1].ttfb);
});

test('bodies are copied byte-identical, fixed-length and chunked', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url)])]));
  add(s.close);
  const fixed = randomBytes(300_000);
  await request(s.base, '/fixed', { method: 'POST', body: fixed });
  const parts = Array.from({ length: 20 }, () => randomBytes(10_000));
  await request(s.base, '/chunked', { method: 'POST', body: parts });
  await mirror.waitFor(2);
  const byUrl = new Map(mirror.received.map((r) => [r.url, r]));
  assert.equal(byUrl.get('/fixed')!.sha256, sha256(fixed));
  assert.equal(byUrl.get('/chunked')!.sha256, sha256(Buffer.concat(parts)));
  assert.equal(byUrl.get('/chunked')!.headers['transfer-encoding'], 'chunked');
  const pByUrl = new Map(primary.received.map((r) => [r.url, r]));
  assert.equal(pByUrl.get('/fixed')!.sha256, sha256(fixed));
  assert.equal(pByUrl.get('/chunked')!.sha256, sha256(Buffer.concat(parts)));
});

test('no body is sent when body copying is off', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { copyBody: false })])]));
  add(s.close);
  await request(s.base, '/nobody', { method: 'POST', body: 'secret payload' });
  const [got] = await mirror.waitFor(1);
  assert.equal(got.method, 'POST');
  assert.equal(got.body.length, 0);
  assert.equal(got.headers['content-length'] ?? '0', '0');
  assert.equal(primary.received[0].body.toString(), 'secret payload');
});
