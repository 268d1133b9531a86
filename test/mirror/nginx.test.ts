/** The nginx-tests mirror cases, as behaviour of the proxy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { config, route, target } from '../helpers/config.js';
import { sleep } from '../helpers/servers.js';
import { request } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';

const { add, upstream } = cleanup();

test('two mirrors both receive every request, each in the order sent, with the body', async () => {
  const primary = await upstream();
  const a = await upstream();
  const b = await upstream();
  const s = await startStack(config([route(primary.url, [target(a.url, { name: 'a' }), target(b.url, { name: 'b' })])]));
  add(s.close);
  for (let i = 0; i < 10; i++) await request(s.base, `/seq/${i}`, { method: 'POST', body: `body-${i}` });
  await a.waitFor(10);
  await b.waitFor(10);
  const expected = Array.from({ length: 10 }, (_, i) => `/seq/${i}`);
  assert.deepEqual(a.received.map((r) => r.url), expected);
  assert.deepEqual(b.received.map((r) => r.url), expected);
  assert.deepEqual(b.received.map((r) => r.body.toString()), expected.map((_, i) => `body-${i}`));
});

test('mirror off on a nested route: that route is not copied, its parent is', async () => {
  const primary = await upstream();
  const mirror = await upstream();
  const s = await startStack(
    config([
      route(primary.url, [], { name: 'api/internal', match: { path: { type: 'prefix', value: '/api/internal' } } }),
      route(primary.url, [target(mirror.url)], { name: 'api', match: { path: { type: 'prefix', value: '/api' } } }),
    ]),
  );
  add(s.close);
  await request(s.base, '/api/internal/x');
  await request(s.base, '/api/public/y');
  await mirror.waitFor(1);
  await sleep(100);
  assert.deepEqual(mirror.received.map((r) => r.url), ['/api/public/y']);
  assert.deepEqual(primary.received.map((r) => r.url), ['/api/internal/x', '/api/public/y']);
});

test('a delayed mirror delays neither the main request nor the next one on the same keep-alive connection', async () => {
  const primary = await upstream();
  const slow = await upstream(async (_req, res) => {
    await sleep(2_000);
    res.end('slow');
  });
  const s = await startStack(config([route(primary.url, [target(slow.url)])]));
  add(s.close);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await request(s.base, '/first', { agent });
    const second = await request(s.base, '/second', { agent });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.reusedSocket, true, 'second request used the same connection');
    assert.ok(first.ms < 1_000 && second.ms < 1_000, `took ${first.ms} and ${second.ms} ms with a 2 s mirror`);
    assert.equal(slow.received.length >= 1, true);
  } finally {
    agent.destroy();
  }
});
