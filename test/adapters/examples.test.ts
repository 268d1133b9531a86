/** The runnable examples start, serve their API, mirror it and expose metrics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../helpers/request.js';
import { eventually } from '../helpers/servers.js';
import { upstream } from './harness.js';
import * as expressExample from '../../examples/express/server.js';
import * as fastifyExample from '../../examples/fastify/server.js';
import * as honoExample from '../../examples/hono/server.js';
import * as nodeExample from '../../examples/node-http/server.js';

const examples = { express: expressExample, fastify: fastifyExample, hono: honoExample, 'node-http': nodeExample };

for (const [name, example] of Object.entries(examples)) {
  test(`examples/${name}: serves, mirrors and exposes metrics`, async () => {
    const mirror = await upstream();
    const running = await example.start(0, mirror.url);
    try {
      const body = JSON.stringify({ items: ['book'] });
      const reply = await request(running.url, '/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.ok(reply.status === 201 || reply.status === 200, `status ${reply.status}`);
      const [got] = await mirror.waitFor(1);
      assert.equal(got.url, '/api/orders');
      assert.equal(got.body.toString(), body);
      const ok = /doppel_mirror_requests_total\{route="middleware",target="127\.0\.0\.1:\d+",outcome="ok"\} 1/;
      await eventually(async () => ok.test((await request(running.url, '/metrics')).body.toString()), 3_000, 'mirror outcome in /metrics');
    } finally {
      await running.close();
    }
  });
}
