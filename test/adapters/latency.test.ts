/**
 * A slow or dead mirror never changes the app's response time or content; `async: false`
 * holds the response until the copies are done. Route scoping per framework.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deadPort, sleep } from '../helpers/servers.js';
import { request } from '../helpers/request.js';
import { kits } from './kits.js';
import { app, upstream } from './harness.js';

const body = JSON.stringify({ order: 1, items: ['a', 'b'] });

for (const kit of kits) {
  describe(`latency and scope: ${kit.name}`, () => {
    test('a 2 s mirror and a dead mirror leave the response time (< 300 ms) and content unchanged', async () => {
      const slow = await upstream(async (_req, res) => {
        await sleep(2_000);
        res.end('late');
      });
      const dead = `http://127.0.0.1:${await deadPort()}`;
      const plain = await app(kit, {});
      const mirrored = await app(kit, { mirror: [slow.url, dead] });
      const expected = await request(plain.base, '/api/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      for (let i = 0; i < 3; i++) {
        const reply = await request(mirrored.base, '/api/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        assert.ok(reply.ms < 300, `answered after ${reply.ms.toFixed(0)} ms`);
        assert.equal(reply.status, expected.status);
        assert.equal(reply.sha256, expected.sha256);
        assert.equal(reply.headers['content-type'], expected.headers['content-type']);
      }
      await slow.waitFor(3);
    });

    test('async: false holds the response until the copies finished', async () => {
      let finished = 0;
      const slow = await upstream(async (_req, res) => {
        await sleep(500);
        finished = Date.now();
        res.end('late');
      });
      const a = await app(kit, { mirror: [{ targets: [slow.url], async: false }] });
      const reply = await request(a.base, '/api/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const at = Date.now();
      assert.equal(reply.status, 200);
      assert.deepEqual(JSON.parse(reply.body.toString()), { parsed: JSON.parse(body) });
      assert.ok(reply.ms >= 450, `answered after ${reply.ms.toFixed(0)} ms`);
      assert.ok(finished > 0 && finished <= at, 'the copy finished before the response');
      // A request that is not copied (loop marker) is not held.
      const free = await request(a.base, '/api/echo/x', { headers: { 'x-mirrored-from': 'x' } });
      assert.ok(free.ms < 300, `uncopied request answered after ${free.ms.toFixed(0)} ms`);
    });

    test('async: false with a dead target answers as soon as the copy failed', async () => {
      const dead = `http://127.0.0.1:${await deadPort()}`;
      const a = await app(kit, { mirror: [{ targets: [dead], async: false }] });
      const reply = await request(a.base, '/api/echo/dead');
      assert.equal(reply.status, 200);
      assert.ok(reply.ms < 1_000, `answered after ${reply.ms.toFixed(0)} ms`);
    });

    test('only requests under the mounted prefix are mirrored, with their full path', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [mirror.url], prefix: '/v2' });
      assert.equal((await request(a.base, '/outside/ping')).status, 200);
      assert.equal((await request(a.base, '/v2/echo/in?q=1')).status, 200);
      assert.equal((await request(a.base, '/outside/ping')).status, 200);
      await mirror.waitFor(1);
      await sleep(150);
      assert.deepEqual(mirror.received.map((r) => r.url), ['/v2/echo/in?q=1']);
    });
  });
}
