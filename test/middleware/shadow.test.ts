/** The shadow engine: noise from a secondary, sampling, hooks that throw, report rows. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { shadow } from '../../src/adapters/node.js';
import type { ShadowDiff, ShadowOptions } from '../../src/middleware/shadow.js';
import { startUpstream, type Responder } from '../helpers/servers.js';
import { request } from '../helpers/request.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

let counter = 0;
/** The app and its copies answer { id, name, at }; `at` changes on every answer (noise). */
const answer = (name: string): Responder => (req, res) => {
  const body = JSON.stringify({ path: req.url, name, at: ++counter });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
};

async function backend(name: string): Promise<string> {
  const u = await startUpstream(answer(name));
  closers.push(u.close);
  return u.url;
}

async function appWith(options: ShadowOptions) {
  const tester = shadow(options);
  const server = http.createServer((req, res) => {
    tester(req, res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, name: 'Ada', at: ++counter }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    await new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections()));
    await tester.close();
  });
  return { tester, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('with a secondary, a field that differs everywhere is noise; a field only the candidate changes is a regression', async () => {
  const diffs: ShadowDiff[] = [];
  const { tester, base } = await appWith({ candidate: await backend('Bob'), secondary: await backend('Ada'), onDiff: (d) => diffs.push(d) });
  for (let i = 0; i < 5; i++) await request(base, `/users/${i}`);
  await tester.idle();
  assert.equal(diffs.length, 5);
  assert.ok(diffs.every((d) => d.result === 'regression'));
  const [row] = tester.report();
  assert.equal(row.endpoint, 'GET /users/:id');
  const verdicts = Object.fromEntries(row.fields.map((f) => [f.path, f.verdict]));
  assert.deepEqual(verdicts, { 'body.at': 'noise', 'body.name': 'regression' });
});

test('sample 0 shadows nothing; onDiff that throws does not reach the app', async () => {
  const none = await appWith({ candidate: await backend('Bob'), sample: 0 });
  await request(none.base, '/a');
  await none.tester.idle();
  assert.deepEqual(none.tester.report(), []);
  const throwing = await appWith({ candidate: await backend('Bob'), onDiff: () => { throw new Error('boom'); } });
  const reply = await request(throwing.base, '/b');
  assert.equal(reply.status, 200);
  await throwing.tester.idle();
  assert.equal(throwing.tester.report()[0].requests, 1);
});

test('a request that is itself a copy is not shadowed', async () => {
  const { tester, base } = await appWith({ candidate: await backend('Bob') });
  await request(base, '/c', { headers: { 'x-mirrored-from': 'elsewhere' } });
  await tester.idle();
  assert.deepEqual(tester.report(), []);
});

test('an out-of-range pipelining is refused with DOPPEL_ERR_CONFIG_INVALID', () => {
  for (const pipelining of [0, 65, 2.5]) {
    assert.throws(
      () => shadow({ candidate: 'http://127.0.0.1:1', pipelining }),
      (e: unknown) => (e as { code?: string }).code === 'DOPPEL_ERR_CONFIG_INVALID' && /pipelining must be an integer from 1 to 64/.test(String(e)),
    );
  }
});
