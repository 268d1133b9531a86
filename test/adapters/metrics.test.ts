/** Metrics on the app's own prom-client registry, served by each adapter's metricsHandler. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Registry } from 'prom-client';
import { deadPort, eventually } from '../helpers/servers.js';
import { request } from '../helpers/request.js';
import { kits } from './kits.js';
import { app, upstream } from './harness.js';

function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) return Number(line.slice(close + 1).trim());
  }
  return 0;
}

for (const kit of kits) {
  describe(`metrics: ${kit.name}`, () => {
    test("mirror and shadow metrics land on the app's registry next to its own metrics", async () => {
      const register = new Registry();
      const own = new Counter({ name: 'app_orders_total', help: 'Orders.', registers: [register] });
      own.inc(3);
      const mirror = await upstream();
      const dead = `http://127.0.0.1:${await deadPort()}`;
      const candidate = await app(kit, {});
      const a = await app(kit, {
        mirror: [{ targets: [{ url: mirror.url, name: 'staging' }, { url: dead, name: 'gone' }], register, name: 'api' }],
        shadow: { candidate: { url: candidate.base, name: 'v2' }, register, name: 'api' },
        metrics: register,
      });
      for (let i = 0; i < 2; i++) assert.equal((await request(a.base, `/api/item/${i}`)).status, 200);
      await a.idle();
      let text = '';
      await eventually(async () => {
        const reply = await request(a.base, '/metrics');
        assert.equal(reply.status, 200);
        assert.match(String(reply.headers['content-type']), /^text\/plain/);
        text = reply.body.toString();
        return sample(text, 'doppel_mirror_requests_total', { route: 'api', target: 'staging', outcome: 'ok' }) === 2 &&
          sample(text, 'doppel_mirror_requests_total', { route: 'api', target: 'gone', outcome: 'error' }) === 2;
      }, 3_000, 'mirror outcomes in /metrics');
      assert.match(text, /^app_orders_total 3$/m);
      assert.equal(sample(text, 'doppel_shadow_comparisons_total', { route: 'api', endpoint: 'GET /api/item/:id', result: 'match' }), 2);
      assert.ok(sample(text, 'doppel_upstream_duration_seconds_count', { route: 'api', target: 'staging', role: 'mirror' }) >= 2);
      assert.equal(sample(text, 'doppel_mirror_inflight', { route: 'api', target: 'staging' }), 0);
      assert.doesNotMatch(text, /doppel_process_cpu/, 'no default process metrics added to the app registry');
    });
  });
}
