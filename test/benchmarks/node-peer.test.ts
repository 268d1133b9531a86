/**
 * The benchmark's Node peers (benchmarks/node-peer.ts) proxy for real: the client gets the
 * primary's answer, the naive mirror's target gets a copy with the same body, and a
 * primary that is down gives a 502.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { startBenchScript } from '../helpers/bench-script.js';
import { cleanup } from '../helpers/cleanup.js';
import { deadPort } from '../helpers/servers.js';

const c = cleanup();
const startPeer = (args: string[]) => startBenchScript(c, 'node-peer.ts', args);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('the naive Node mirror answers from the primary and copies every request with its body', async () => {
  const primary = await c.upstream((req, res, body) => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-from': 'primary', 'proxy-connection': 'keep-alive' });
    res.end(JSON.stringify({ url: req.url, bytes: body.length }));
  });
  const mirror = await c.upstream();
  const peer = await startPeer(['--primary', primary.url, '--mirror', mirror.url]);

  const got = await fetch(`${peer.url}/items?x=1`);
  assert.equal(got.status, 201);
  assert.equal(got.headers.get('x-from'), 'primary');
  assert.equal(got.headers.get('proxy-connection'), null);
  assert.deepEqual(await got.json(), { url: '/items?x=1', bytes: 0 });

  const body = randomBytes(64 * 1024);
  const posted = await fetch(`${peer.url}/post`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
  assert.deepEqual(await posted.json(), { url: '/post', bytes: body.length });

  const copies = await mirror.waitFor(2);
  assert.deepEqual(
    copies.map((r) => [r.method, r.url, r.body.length]),
    [
      ['GET', '/items?x=1', 0],
      ['POST', '/post', body.length],
    ],
  );
  assert.equal(copies[1].sha256, sha(body));
  assert.equal(primary.received[1].sha256, sha(body));
});

test('the minimal Node proxy answers 502 when its primary is down', async () => {
  const peer = await startPeer(['--primary', `http://127.0.0.1:${await deadPort()}`]);
  const res = await fetch(`${peer.url}/`);
  assert.equal(res.status, 502);
  assert.equal(await res.text(), 'bad gateway\n');
});
