/** Framework-specific placements: Express middleware order, Fastify encapsulation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve as honoServe } from '@hono/node-server';
import { eventually, sleep } from '../helpers/servers.js';
import { request, sha256 } from '../helpers/request.js';
import { mirror as expressMirror } from '../../src/adapters/express.js';
import { mirror as fastifyMirror } from '../../src/adapters/fastify.js';
import { mirror as nodeMirror } from '../../src/adapters/node.js';
import { mirror as honoMirror } from '../../src/adapters/hono.js';
import { upstream } from './harness.js';

async function serve(handler: http.RequestListener): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())),
  };
}

for (const [name, ex] of [['express5', express], ['express4', express4 as unknown as typeof express]] as const) {
  test(`${name}: mounted after express.json() the copy is rebuilt from req.body`, async () => {
    const mirror = await upstream();
    const mw = expressMirror(mirror.url);
    const app = ex();
    app.use(ex.json());
    app.use(ex.urlencoded({ extended: false }));
    app.use(mw);
    app.post('/j', (req, res) => void res.json({ got: req.body }));
    const s = await serve(app);
    try {
      const text = '{ "b": [1, 2], "a": "x" }';
      const reply = await request(s.base, '/j', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
      assert.deepEqual(JSON.parse(reply.body.toString()), { got: { b: [1, 2], a: 'x' } });
      await request(s.base, '/j', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'q=a+b&t=1&t=2' });
      // A type no parser took: the stream is untouched (Express 4 still sets req.body = {}), the bytes are copied as sent.
      await request(s.base, '/j', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'raw  bytes' });
      const [json, form, raw] = await mirror.waitFor(3);
      assert.equal(json.body.toString(), '{"b":[1,2],"a":"x"}');
      assert.equal(json.headers['content-length'], String(json.body.length));
      assert.equal(form.body.toString(), 'q=a+b&t=1&t=2');
      assert.equal(raw.body.toString(), 'raw  bytes');
    } finally {
      await s.close();
      await mw.close();
    }
  });

  test(`${name}: after an asynchronous middleware the body already buffered is still copied whole`, async () => {
    const mirror = await upstream();
    const mw = expressMirror(mirror.url);
    const app = ex();
    app.use((_req, _res, next) => void sleep(60).then(() => next()));
    app.use(mw);
    app.post('/r', ex.raw({ type: () => true, limit: '5mb' }), (req, res) => void res.json({ sha256: sha256(req.body as Buffer) }));
    const s = await serve(app);
    try {
      const small = randomBytes(3_000);
      const big = randomBytes(1_000_000);
      assert.equal(JSON.parse((await request(s.base, '/r', { method: 'POST', body: small })).body.toString()).sha256, sha256(small));
      assert.equal(JSON.parse((await request(s.base, '/r', { method: 'POST', body: big, headers: { 'content-type': 'application/octet-stream' } })).body.toString()).sha256, sha256(big));
      await mirror.waitFor(2);
      assert.deepEqual(mirror.received.map((r) => r.sha256), [sha256(small), sha256(big)]);
    } finally {
      await s.close();
      await mw.close();
    }
  });
}

test('express: a handler that never reads the body; the copies still get all of it, small or large', async () => {
  const mirror = await upstream();
  const outcomes: string[] = [];
  const mw = expressMirror({ targets: [mirror.url], maxBodySize: 8 * 1024 * 1024, onError: (_t, e) => outcomes.push(e.code), onSuccess: () => outcomes.push('ok') });
  const app = express();
  app.use(mw);
  app.post('/ignore', (_req, res) => void res.status(202).end('ignored'));
  const s = await serve(app);
  try {
    const small = randomBytes(2_000);
    assert.equal((await request(s.base, '/ignore', { method: 'POST', body: small })).status, 202);
    const chunked = [randomBytes(1_000), randomBytes(1_000)];
    assert.equal((await request(s.base, '/ignore', { method: 'POST', body: chunked })).status, 202);
    const big = Array.from({ length: 32 }, () => randomBytes(64 * 1024));
    const r = await request(s.base, '/ignore', { method: 'POST', body: big });
    assert.equal(r.status, 202);
    assert.ok(r.ms < 300, `answered after ${r.ms.toFixed(0)} ms`);
    await eventually(() => outcomes.length === 3, 3_000, 'three copies');
    assert.deepEqual(outcomes, ['ok', 'ok', 'ok']);
    assert.deepEqual(mirror.received.map((x) => x.sha256), [sha256(small), sha256(Buffer.concat(chunked)), sha256(Buffer.concat(big))]);
  } finally {
    await s.close();
    await mw.close();
  }
});

test('node: a client that goes away mid-body cuts the copy off (never sent short)', async () => {
  const mirror = await upstream();
  const outcomes: string[] = [];
  const mw = nodeMirror({ targets: [mirror.url], onError: (_t, e) => outcomes.push(e.code), onSuccess: () => outcomes.push('ok') });
  const s = await serve((req, res) => {
    mw(req, res);
    req.on('data', () => {});
    req.on('end', () => res.end('done'));
  });
  try {
    const client = http.request(`${s.base}/upload`, { method: 'POST', headers: { 'content-length': '100000' } });
    client.on('error', () => {});
    client.write(randomBytes(30_000));
    await sleep(100);
    client.destroy();
    await eventually(() => outcomes.length === 1, 3_000, 'copy outcome');
    assert.deepEqual(outcomes, ['DOPPEL_ERR_MIRROR_SOURCE_ABORTED']);
    assert.ok(mirror.received.every((x) => x.body.length === 100_000));
  } finally {
    await s.close();
    await mw.close();
  }
});

test('fastify: registered inside an encapsulated plugin it covers only that plugin', async () => {
  const mirror = await upstream();
  const app = Fastify();
  await app.register(async (api) => {
    await api.register(fastifyMirror(mirror.url));
    api.get('/inside', async () => ({ in: true }));
  }, { prefix: '/scoped' });
  app.get('/root', async () => ({ in: false }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await request(base, '/root');
    await request(base, '/scoped/inside');
    await mirror.waitFor(1);
    await sleep(100);
    assert.deepEqual(mirror.received.map((r) => r.url), ['/scoped/inside']);
  } finally {
    await app.close();
  }
});

test('fastify: encapsulate: true keeps the hooks inside the plugin (nothing outside is mirrored)', async () => {
  const mirror = await upstream();
  const app = Fastify();
  const plugin = fastifyMirror({ targets: [mirror.url], encapsulate: true });
  await app.register(plugin);
  app.get('/root', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    assert.equal((await request(base, '/root')).status, 200);
    await sleep(150);
    assert.equal(mirror.received.length, 0);
    assert.equal((plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')], undefined);
  } finally {
    await app.close();
  }
});

test('fastify: a prefix given at registration inside a prefixed scope is relative to that scope', async () => {
  const mirror = await upstream();
  const app = Fastify();
  await app.register(async (v1) => {
    await v1.register(fastifyMirror(mirror.url), { prefix: '/orders' });
    v1.get('/orders/1', async () => ({ id: 1 }));
    v1.get('/users/1', async () => ({ id: 1 }));
  }, { prefix: '/v1' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await request(base, '/v1/users/1');
    await request(base, '/v1/orders/1');
    await mirror.waitFor(1);
    await sleep(100);
    assert.deepEqual(mirror.received.map((r) => r.url), ['/v1/orders/1']);
  } finally {
    await app.close();
  }
});

test('hono: after a middleware that already read the body, the copy gets Hono\'s cached body', async () => {
  const mirror = await upstream();
  const mw = honoMirror(mirror.url);
  const app = new Hono();
  app.use('*', async (c, next) => {
    if (c.req.path === '/parsed') await c.req.json();
    await next();
  });
  app.use('*', mw);
  app.post('/parsed', async (c) => c.json({ got: await c.req.json() }));
  app.post('/plain', async (c) => c.json({ got: await c.req.json() }));
  const server = honoServe({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
  if (!server.listening) await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const text = '{ "a": 1 }';
    for (const path of ['/parsed', '/plain']) {
      const reply = await request(base, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
      assert.deepEqual(JSON.parse(reply.body.toString()), { got: { a: 1 } });
    }
    await mirror.waitFor(2);
    const byUrl = Object.fromEntries(mirror.received.map((r) => [r.url, r.body.toString()]));
    assert.deepEqual(byUrl, { '/parsed': text, '/plain': text });
    // Also with standard Request objects (app.request), where the used body can only come from Hono's cache.
    const reply = await app.request('/parsed', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    assert.deepEqual(await reply.json(), { got: { a: 1 } });
    await mirror.waitFor(3);
    assert.equal(mirror.received[2].body.toString(), text);
    assert.equal(mirror.received[2].headers['content-length'], String(Buffer.byteLength(text)));
  } finally {
    await new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections()));
    await mw.close();
  }
});
