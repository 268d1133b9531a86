/** The go-mizu mirror middleware's test table, run against every adapter. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deadPort, eventually, sleep } from '../helpers/servers.js';
import { request, sha256 } from '../helpers/request.js';
import { percentage } from '../../src/middleware/core.js';
import type { DoppelError } from '../../src/core/errors.js';
import type { MirrorResponse } from '../../src/mirror/target.js';
import { kits } from './kits.js';
import { app, upstream } from './harness.js';

for (const kit of kits) {
  describe(`go-mizu table: ${kit.name}`, () => {
    test('a single target receives method, path, query, headers and X-Mirrored-From', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [{ targets: [mirror.url] }] });
      const reply = await request(a.base, '/api/echo/users/7?fields=name', {
        method: 'PUT',
        headers: { host: 'api.example.com', 'x-custom': 'abc', 'content-type': 'text/plain' },
        body: 'hello',
      });
      assert.equal(reply.status, 200);
      assert.deepEqual(JSON.parse(reply.body.toString()), { ok: true, method: 'PUT', path: '/api/echo/users/7?fields=name' });
      const [got] = await mirror.waitFor(1);
      assert.equal(got.method, 'PUT');
      assert.equal(got.url, '/api/echo/users/7?fields=name');
      assert.equal(got.headers['x-custom'], 'abc');
      assert.equal(got.headers['content-type'], 'text/plain');
      assert.equal(got.headers['x-mirrored-from'], 'api.example.com');
      assert.equal(got.headers.host, `127.0.0.1:${mirror.port}`);
      assert.equal(got.body.toString(), 'hello');
    });

    test('async (default): the app answers before a slow mirror finishes', async () => {
      let mirrorDone = 0;
      const mirror = await upstream(async (_req, res) => {
        await sleep(600);
        mirrorDone = Date.now();
        res.end('late');
      });
      const a = await app(kit, { mirror: [mirror.url] });
      const reply = await request(a.base, '/api/echo/slow');
      const answeredAt = Date.now();
      assert.equal(reply.status, 200);
      assert.ok(reply.ms < 400, `app answered after ${reply.ms} ms`);
      await mirror.waitFor(1);
      assert.equal(mirrorDone, 0, 'the mirror was still working when the app had answered');
      await eventually(() => mirrorDone > 0, 3_000, 'mirror to finish');
      assert.ok(mirrorDone > answeredAt);
    });

    test('percentage 50 mirrors exactly every other request (counter)', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [{ targets: [percentage(mirror.url, 50)] }] });
      for (let i = 0; i < 20; i++) await request(a.base, `/api/echo/n/${i}`);
      await mirror.waitFor(10);
      await sleep(100);
      assert.deepEqual(
        mirror.received.map((r) => r.url).sort(),
        Array.from({ length: 10 }, (_, k) => `/api/echo/n/${2 * k}`).sort(),
      );
    });

    test('a target without a percentage gets every request; multiple targets all receive', async () => {
      const mirrors = [await upstream(), await upstream(), await upstream()];
      const a = await app(kit, { mirror: [{ targets: [mirrors[0].url, { url: mirrors[1].url }, percentage(mirrors[2].url, 100)] }] });
      for (let i = 0; i < 5; i++) await request(a.base, `/api/echo/multi/${i}`);
      for (const m of mirrors) {
        await m.waitFor(5);
        assert.deepEqual(m.received.map((r) => r.url).sort(), [0, 1, 2, 3, 4].map((i) => `/api/echo/multi/${i}`));
      }
    });

    test('onError fires for a failing target; onSuccess gets the status', async () => {
      const ok = await upstream((_req, res) => {
        res.writeHead(201);
        res.end('created');
      });
      const dead = `http://127.0.0.1:${await deadPort()}`;
      const errors: [string, DoppelError][] = [];
      const successes: [string, MirrorResponse][] = [];
      const a = await app(kit, {
        mirror: [{ targets: [{ url: ok.url, name: 'ok' }, { url: dead, name: 'dead' }], onError: (t, e) => errors.push([t, e]), onSuccess: (t, r) => successes.push([t, r]) }],
      });
      const reply = await request(a.base, '/api/echo/hooks');
      assert.equal(reply.status, 200);
      await eventually(() => errors.length === 1 && successes.length === 1, 3_000, 'hooks');
      assert.equal(errors[0][0], 'dead');
      assert.equal(errors[0][1].code, 'DOPPEL_ERR_MIRROR_CONNECT');
      assert.equal(successes[0][0], 'ok');
      assert.equal(successes[0][1].status, 201);
      assert.ok(successes[0][1].duration >= successes[0][1].ttfb);
    });

    test('X-Mirrored-From carries the original host; a request carrying it is not copied again', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [mirror.url] });
      await request(a.base, '/api/echo/marked', { headers: { host: 'shop.example.org:8443' } });
      const [got] = await mirror.waitFor(1);
      assert.equal(got.headers['x-mirrored-from'], 'shop.example.org:8443');
      const reply = await request(a.base, '/api/echo/loop', { headers: { 'x-mirrored-from': 'elsewhere' } });
      assert.equal(reply.status, 200);
      await sleep(150);
      assert.deepEqual(mirror.received.map((r) => r.url), ['/api/echo/marked']);
    });

    test('the body is copied byte-identical (fixed length and chunked)', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [mirror.url] });
      const fixed = randomBytes(300_000);
      const r1 = await request(a.base, '/api/raw', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: fixed });
      assert.equal(JSON.parse(r1.body.toString()).sha256, sha256(fixed));
      const parts = Array.from({ length: 20 }, () => randomBytes(10_000));
      const r2 = await request(a.base, '/api/stream', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: parts });
      assert.equal(JSON.parse(r2.body.toString()).sha256, sha256(Buffer.concat(parts)));
      await mirror.waitFor(2);
      const byUrl = new Map(mirror.received.map((r) => [r.url, r]));
      assert.equal(byUrl.get('/api/raw')!.sha256, sha256(fixed));
      assert.equal(byUrl.get('/api/raw')!.headers['content-length'], '300000');
      assert.equal(byUrl.get('/api/stream')!.sha256, sha256(Buffer.concat(parts)));
    });

    test('copyBody false: the copy has no body, the app still reads its own', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [{ targets: [mirror.url], copyBody: false }] });
      const body = Buffer.from('secret payload');
      const reply = await request(a.base, '/api/raw', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
      assert.equal(JSON.parse(reply.body.toString()).sha256, sha256(body));
      const [got] = await mirror.waitFor(1);
      assert.equal(got.method, 'POST');
      assert.equal(got.body.length, 0);
      assert.equal(got.headers['content-length'] ?? '0', '0');
    });

    test('mirror(url, url): several string targets', async () => {
      const m1 = await upstream();
      const m2 = await upstream();
      const a = await app(kit, { mirror: [m1.url, m2.url] });
      await request(a.base, '/api/echo/two');
      assert.equal((await m1.waitFor(1))[0].url, '/api/echo/two');
      assert.equal((await m2.waitFor(1))[0].url, '/api/echo/two');
    });
  });
}
