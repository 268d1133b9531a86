/** The request body stays the app's: JSON, raw and streamed bodies, in every adapter. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { eventually } from '../helpers/servers.js';
import { request, sha256 } from '../helpers/request.js';
import type { DoppelError } from '../../src/core/errors.js';
import { kits } from './kits.js';
import { app, upstream } from './harness.js';

for (const kit of kits) {
  describe(`request body: ${kit.name}`, () => {
    test('JSON: the app parses it, the mirror gets the same bytes', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [mirror.url] });
      const value = { user: { name: 'Ada', tags: ['a', 'b'] }, n: 1.5, ok: true, text: 'é✓' };
      const text = `{ "user": {"name":"Ada","tags":["a","b"]}, "n": 1.5, "ok": true, "text": "é✓" }`;
      const reply = await request(a.base, '/api/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
      assert.equal(reply.status, 200);
      assert.deepEqual(JSON.parse(reply.body.toString()), { parsed: value });
      const [got] = await mirror.waitFor(1);
      assert.equal(got.sha256, sha256(text));
      assert.equal(got.headers['content-type'], 'application/json');
    });

    test('raw: the app reads the whole buffer, the mirror gets the same bytes', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [mirror.url] });
      const body = randomBytes(700_000);
      const reply = await request(a.base, '/api/raw', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
      assert.deepEqual(JSON.parse(reply.body.toString()), { sha256: sha256(body), bytes: body.length });
      const [got] = await mirror.waitFor(1);
      assert.equal(got.sha256, sha256(body));
    });

    test('streamed: the app iterates the raw stream of a chunked body, the mirror gets the same bytes', async () => {
      const mirror = await upstream();
      const a = await app(kit, { mirror: [mirror.url] });
      const parts = Array.from({ length: 40 }, (_, i) => randomBytes(5_000 + i));
      async function* slowly() {
        for (const p of parts) {
          yield p;
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      const reply = await request(a.base, '/api/stream', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: slowly() });
      const whole = Buffer.concat(parts);
      assert.deepEqual(JSON.parse(reply.body.toString()), { sha256: sha256(whole), bytes: whole.length });
      const [got] = await mirror.waitFor(1);
      assert.equal(got.sha256, sha256(whole));
      assert.equal(got.headers['transfer-encoding'], 'chunked');
    });

    test('a body over maxBodySize is not copied; the app still gets all of it', async () => {
      const mirror = await upstream();
      const errors: DoppelError[] = [];
      const a = await app(kit, { mirror: [{ targets: [mirror.url], maxBodySize: 1000, onError: (_t, e) => errors.push(e) }] });
      const body = randomBytes(5000);
      const reply = await request(a.base, '/api/raw', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
      assert.equal(JSON.parse(reply.body.toString()).sha256, sha256(body));
      await eventually(() => errors.length === 1, 2_000, 'drop reported');
      assert.equal(errors[0].code, 'DOPPEL_ERR_MIRROR_BODY_SIZE');
      assert.equal(mirror.received.length, 0);
    });

    test('a chunked body that grows past maxBodySize cuts the copy off; the app still gets all of it', async () => {
      const mirror = await upstream();
      const errors: DoppelError[] = [];
      const a = await app(kit, { mirror: [{ targets: [mirror.url], maxBodySize: 20_000, onError: (_t, e) => errors.push(e) }] });
      const parts = Array.from({ length: 10 }, () => randomBytes(5_000));
      const reply = await request(a.base, '/api/stream', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: parts });
      assert.equal(JSON.parse(reply.body.toString()).sha256, sha256(Buffer.concat(parts)));
      await eventually(() => errors.length === 1, 3_000, 'cut-off reported');
      assert.equal(errors[0].code, 'DOPPEL_ERR_MIRROR_BODY_SIZE');
      assert.ok(mirror.received.every((r) => r.body.length < 50_000));
    });
  });
}
