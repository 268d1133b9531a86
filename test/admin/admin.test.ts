/** The core admin endpoints: health, readiness, metrics, targets, errors and the token. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { config, route, target } from '../helpers/config.js';
import { eventually, startUpstream, type Upstream } from '../helpers/servers.js';
import { metricSample, scrape, send, startProxy, type Doppel } from '../helpers/client.js';

describe('admin server', () => {
  let primary: Upstream;
  let mirror: Upstream;
  let open: Doppel;
  let guarded: Doppel;
  const TOKEN = 's3cret-token';

  before(async () => {
    primary = await startUpstream();
    mirror = await startUpstream();
    open = await startProxy(config([route(primary.url, [target(mirror.url, { name: 'mirror' })], { name: 'api' })]));
    guarded = await startProxy(config([route(primary.url)], { admin: { listen: { host: '127.0.0.1', port: 0 }, token: TOKEN } }));
  });
  after(async () => {
    await open.app.close();
    await guarded.app.close();
    await primary.close();
    await mirror.close();
  });

  test('/healthz and /readyz', async () => {
    const health = await fetch(`${open.admin}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${open.admin}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', routes: 1 });
    const head = await send(open.admin, '/healthz', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  });

  test('/metrics has request, mirror and upstream timing series with their labels after traffic', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await send(open.base, `/m/${i}`)).status, 200);
    await eventually(async () => metricSample(await scrape(open.admin), 'doppel_mirror_requests_total', { route: 'api', target: 'mirror', outcome: 'ok' }) === 4, 3_000, 'four mirror outcomes');
    const res = await fetch(`${open.admin}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const [name, type] of [
      ['doppel_requests_total', 'counter'],
      ['doppel_mirror_requests_total', 'counter'],
      ['doppel_upstream_ttfb_seconds', 'histogram'],
      ['doppel_upstream_duration_seconds', 'histogram'],
    ]) {
      assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `${name} ${type}`);
    }
    assert.equal(metricSample(text, 'doppel_requests_total', { route: 'api', status_class: '2xx' }), 4);
    assert.equal(metricSample(text, 'doppel_mirror_requests_total', { route: 'api', target: 'mirror', outcome: 'ok' }), 4);
    assert.equal(metricSample(text, 'doppel_mirror_requests_total', { route: 'api', target: 'mirror', outcome: 'error' }), 0);
    for (const base of ['doppel_upstream_ttfb_seconds', 'doppel_upstream_duration_seconds']) {
      assert.equal(metricSample(text, `${base}_count`, { route: 'api', target: 'primary', role: 'primary' }), 4, `${base} primary`);
      assert.equal(metricSample(text, `${base}_count`, { route: 'api', target: 'mirror', role: 'mirror' }), 4, `${base} mirror`);
      assert.ok(metricSample(text, `${base}_sum`, { route: 'api', target: 'primary', role: 'primary' }) > 0);
      assert.equal(metricSample(text, `${base}_bucket`, { route: 'api', target: 'primary', role: 'primary', le: '+Inf' }), 4);
    }
  });

  test('/api/v1/targets lists mirror targets with their health', async () => {
    const res = await fetch(`${open.admin}/api/v1/targets`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { uptimeSeconds: number; targets: unknown[] };
    assert.equal(typeof body.uptimeSeconds, 'number');
    assert.deepEqual(body.targets, [{ route: 'api', target: 'mirror', url: mirror.url, inFlight: 0, circuit: 'closed' }]);
  });

  test('unknown path or method -> 404 DOPPEL_ERR_ADMIN_NOT_FOUND', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/healthz'],
      ['GET', '/api/v1/targets/extra'],
    ]) {
      const r = await send(open.admin, path, { method });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.headers['x-doppel-error'], 'DOPPEL_ERR_ADMIN_NOT_FOUND');
      assert.equal(JSON.parse(r.body.toString()).error, 'DOPPEL_ERR_ADMIN_NOT_FOUND');
    }
  });

  test('with a token: 401 without or with a wrong bearer, 200 with the right one; health stays open', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      const r = await send(guarded.admin, '/metrics', { headers: authorization ? { authorization } : {} });
      assert.equal(r.status, 401, String(authorization));
      assert.equal(r.headers['x-doppel-error'], 'DOPPEL_ERR_ADMIN_UNAUTHORIZED');
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="doppel"');
      assert.equal(JSON.parse(r.body.toString()).error, 'DOPPEL_ERR_ADMIN_UNAUTHORIZED');
    }
    const ok = await send(guarded.admin, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.body.toString(), /# TYPE doppel_requests_total counter/);
    const targets = await send(guarded.admin, '/api/v1/targets', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(targets.status, 200);
    // Unknown paths need the token too, so they reveal nothing.
    assert.equal((await send(guarded.admin, '/nope')).status, 401);
    assert.equal((await send(guarded.admin, '/nope', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
    for (const path of ['/healthz', '/readyz']) assert.equal((await send(guarded.admin, path)).status, 200, path);
  });
});
