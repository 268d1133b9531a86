/**
 * Small bodies of a declared length are read whole before the primary is called; larger
 * and chunked ones stream. Either way the primary and the mirror get every byte, and a
 * client that goes away before its body is complete reaches no upstream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomBytes } from 'node:crypto';
import { config, route, target } from '../helpers/config.js';
import { eventually, sleep } from '../helpers/servers.js';
import { metricValue, request, sha256 } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { serve } from '../helpers/client.js';
import { defaultTimeouts } from '../../src/config/defaults.js';
import { cleanup } from '../helpers/cleanup.js';
import { REQUEST_BUFFER_DEFAULT } from '../../src/ingress/whole-body.js';

const { add, upstream } = cleanup();
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('bodies at, below and above the whole-body size reach the primary and the mirror intact', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'm' })])]));
  add(s.close);
  const sizes = [1, 1000, REQUEST_BUFFER_DEFAULT - 1, REQUEST_BUFFER_DEFAULT, REQUEST_BUFFER_DEFAULT + 1, 3 * REQUEST_BUFFER_DEFAULT];
  for (const size of sizes) {
    const body = randomBytes(size);
    const reply = await request(s.base, `/b/${size}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body.toString()).bytes, size);
  }
  await mirror.waitFor(sizes.length);
  for (const [i, size] of sizes.entries()) {
    const p = primary.received[i];
    const m = mirror.received.find((r) => r.url === `/b/${size}`)!;
    assert.equal(p.url, `/b/${size}`);
    assert.equal(p.headers['content-length'], String(size), 'the primary gets the declared length');
    assert.equal(m.headers['content-length'], String(size), 'so does the mirror');
    assert.equal(p.sha256, m.sha256);
    assert.equal(p.body.length, size);
  }
});

test('a body split across many packets arrives whole and in order', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'm' })])]));
  add(s.close);
  const body = randomBytes(40_000);
  const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1');
  add(async () => void sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  sock.write(`POST /parts HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
  for (let off = 0; off < body.length; off += 4000) {
    sock.write(body.subarray(off, off + 4000));
    await sleep(5);
  }
  let answer = '';
  sock.on('data', (d) => (answer += d));
  await new Promise((r) => sock.once('close', r));
  assert.match(answer, /^HTTP\/1\.1 200/);
  await mirror.waitFor(1);
  assert.equal(primary.received[0].sha256, sha256(body));
  assert.equal(mirror.received[0].sha256, sha256(body));
});

test('a client that goes away before its small body is complete reaches neither the primary nor the mirror', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'm' })])]));
  add(s.close);
  const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write('POST /cut HTTP/1.1\r\nhost: x\r\ncontent-length: 10000\r\n\r\n');
  sock.write(Buffer.alloc(3000, 0x61));
  await sleep(50);
  sock.destroy();
  await eventually(async () => (await metricValue(s.admin, 'doppel_mirror_requests_total', { target: 'm', outcome: 'aborted' })) === 1, 3_000, 'the copy counted as aborted');
  assert.equal(await metricValue(s.admin, 'doppel_errors_total', { code: 'DOPPEL_ERR_CLIENT_ABORTED' }), 1);
  await eventually(() => s.app.proxy.inFlight === 0, 2_000, 'no exchange left in flight');
  // The proxy goes on serving, and nothing of the cut request ever reached an upstream.
  assert.equal((await request(s.base, '/after', { method: 'POST', body: Buffer.from('ok') })).status, 200);
  await mirror.waitFor(1);
  assert.deepEqual(primary.received.map((r) => r.url), ['/after']);
  assert.deepEqual(mirror.received.map((r) => r.url), ['/after']);
});

test('the primary sees a small body only once it is complete; with requestBuffer 0 it streams', async () => {
  const seen: number[] = [];
  const primary = await serve((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      seen.push(bytes);
    });
    req.on('end', () => res.end(String(bytes)));
  });
  add(primary.close);
  for (const requestBuffer of [undefined, 0]) {
    seen.length = 0;
    const s = await startStack(config([route(primary.url)], requestBuffer === undefined ? {} : { requestBuffer }));
    add(s.close);
    const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1');
    add(async () => void sock.destroy());
    await new Promise((r) => sock.once('connect', r));
    sock.write('POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 2000\r\nconnection: close\r\n\r\n');
    sock.write(Buffer.alloc(1000, 0x61));
    await sleep(150);
    if (requestBuffer === 0) assert.deepEqual(seen, [1000], 'streamed: the first half is already at the primary');
    else assert.deepEqual(seen, [], 'read whole: nothing reaches the primary yet');
    let answer = '';
    sock.on('data', (d) => (answer += d));
    sock.write(Buffer.alloc(1000, 0x62));
    await new Promise((r) => sock.once('close', r));
    assert.match(answer, /\r\n\r\n2000$/);
    assert.equal(seen.at(-1), 2000);
    await s.close();
  }
});

test('a client that pauses its small body longer than timeouts.idle gets 408 and reaches no upstream', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(config([route(primary.url, [target(mirror.url, { name: 'm' })])], { timeouts: { ...defaultTimeouts(), idle: 200 } }));
  add(s.close);
  const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1');
  add(async () => void sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  let answer = '';
  sock.on('data', (d) => (answer += d));
  const closed = new Promise((r) => sock.once('close', r));
  sock.write('POST /paused HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n');
  sock.write(Buffer.alloc(100, 0x61));
  await closed;
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.match(answer, /x-doppel-error: DOPPEL_ERR_REQUEST_TIMEOUT/i);
  assert.equal(await metricValue(s.admin, 'doppel_errors_total', { code: 'DOPPEL_ERR_REQUEST_TIMEOUT' }), 1);
  assert.equal(await metricValue(s.admin, 'doppel_mirror_requests_total', { target: 'm', outcome: 'aborted' }), 1);
  await eventually(() => s.app.proxy.inFlight === 0, 2_000, 'no exchange left in flight');
  assert.equal(primary.received.length, 0);
  assert.equal(mirror.received.length, 0);
});

test('copies waiting for a target that never answers do not keep the bodies they were given', async () => {
  // A primary that keeps nothing of what it receives.
  const primary = await serve((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  add(primary.close);
  const sockets = new Set<net.Socket>();
  let seen = 0;
  const hole = http.createServer((req) => {
    req.resume();
    seen++;
  });
  hole.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
  add(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => hole.close(r));
  });
  const holeUrl = `http://127.0.0.1:${(hole.address() as net.AddressInfo).port}`;
  const s = await startStack(config([route(primary.url, [target(holeUrl, { name: 'hole', timeout: 60_000 })])]));
  add(s.close);
  const N = 60;
  const size = 60 * 1024;
  gc();
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < N; i++) assert.equal((await request(s.base, `/h/${i}`, { method: 'POST', body: randomBytes(size) })).status, 200);
  await eventually(() => seen === N, 5_000, 'every copy at the target');
  assert.equal(s.app.proxy.copiesInFlight(), N);
  await sleep(50);
  gc();
  gc();
  const held = process.memoryUsage().arrayBuffers - before;
  assert.ok(held < (N * size) / 4, `copies in flight hold ${held} bytes of array buffers (${N} bodies of ${size} bytes were sent)`);
});
