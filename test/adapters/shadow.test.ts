/** Shadow middleware in every adapter: differences reported, the app's response untouched. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../helpers/servers.js';
import { request } from '../helpers/request.js';
import type { ShadowDiff } from '../../src/middleware/shadow.js';
import { kits } from './kits.js';
import { app } from './harness.js';

for (const kit of kits) {
  describe(`shadow: ${kit.name}`, () => {
    test('a candidate that differs in one field is reported through onDiff and report(); the response bytes are unchanged', async () => {
      const candidate = await app(kit, { itemName: 'Bob' });
      const plain = await app(kit, {});
      const diffs: ShadowDiff[] = [];
      const a = await app(kit, { shadow: { candidate: { url: candidate.base, name: 'v2' }, onDiff: (d) => diffs.push(d) } });
      const expected = await request(plain.base, '/api/item/7');
      const reply = await request(a.base, '/api/item/7');
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), expected.body.toString());
      assert.equal(reply.headers['content-type'], expected.headers['content-type']);
      assert.equal(reply.headers['content-length'], expected.headers['content-length']);
      await a.idle();
      await eventually(() => diffs.length === 1, 3_000, 'onDiff');
      const d = diffs[0];
      assert.equal(d.endpoint, 'GET /api/item/:id');
      assert.equal(d.method, 'GET');
      assert.equal(d.url, '/api/item/7');
      assert.equal(d.candidate, 'v2');
      assert.equal(d.result, 'regression');
      assert.deepEqual(d.differences, [{ path: 'body.name', kind: 'changed', primary: 'Ada', candidate: 'Bob' }]);
      const rows = a.report();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].candidate, 'v2');
      assert.equal(rows[0].requests, 1);
      assert.equal(rows[0].regressions, 1);
      assert.deepEqual(rows[0].fields.map((f) => [f.path, f.kind, f.verdict]), [['body.name', 'changed', 'regression']]);
    });

    test('an identical candidate: no onDiff, counted as a match; POST is not shadowed by default', async () => {
      const candidate = await app(kit, {});
      const diffs: ShadowDiff[] = [];
      const a = await app(kit, { shadow: { candidate: candidate.base, onDiff: (d) => diffs.push(d) } });
      for (const id of ['1', '2', '3']) assert.equal((await request(a.base, `/api/item/${id}`)).status, 200);
      const post = await request(a.base, '/api/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      assert.equal(post.status, 200);
      await a.idle();
      assert.deepEqual(diffs, []);
      const rows = a.report();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].endpoint, 'GET /api/item/:id');
      assert.equal(rows[0].requests, 3);
      assert.equal(rows[0].matches, 3);
    });

    test('request bodies reach the candidate when the method is shadowed', async () => {
      const candidate = await app(kit, {});
      const diffs: ShadowDiff[] = [];
      const a = await app(kit, { shadow: { candidate: candidate.base, methods: ['POST'], onDiff: (d) => diffs.push(d) } });
      const body = JSON.stringify({ name: 'Ada', list: [1, 2, 3] });
      const reply = await request(a.base, '/api/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.deepEqual(JSON.parse(reply.body.toString()), { parsed: JSON.parse(body) });
      await a.idle();
      assert.deepEqual(diffs, []);
      assert.equal(a.report()[0].matches, 1);
    });
  });
}
