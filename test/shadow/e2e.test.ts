/** Shadow testing end to end: real primary, candidate and secondary servers behind doppel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/core/logger.js';
import { config, route, shadowSpec } from '../helpers/config.js';
import { deadPort, sleep } from '../helpers/servers.js';
import { metricValue, request } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';
import type { EndpointReport } from '../../src/report/aggregate-types.js';

const { add, upstream } = cleanup();

/** A user API; `changed` users get a different `tier`; timestamp and request id differ on every answer. */
function userApi(changed: (id: number) => boolean) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const id = Number(req.url!.split('/')[2]);
    const body = JSON.stringify({ id, name: `user ${id}`, tier: changed(id) ? 'gold' : 'silver', meta: { generatedAt: new Date(Date.now() - Math.random() * 1e7).toISOString(), requestId: randomUUID() } });
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': randomUUID() });
    res.end(body);
  };
}

async function drive(base: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) assert.equal((await request(base, `/users/${i}`)).status, 200);
}

async function endpoints(admin: string): Promise<EndpointReport[]> {
  return (await (await fetch(`${admin}/api/v1/endpoints`)).json()) as EndpointReport[];
}

const fieldOf = (e: EndpointReport, path: string) => e.fields.find((f) => f.path === path);

test('with a secondary: a field changed for 10% of users is a regression; timestamps and ids are noise', async () => {
  const primary = await upstream(userApi(() => false));
  const secondary = await upstream(userApi(() => false));
  const candidate = await upstream(userApi((id) => id % 10 === 3));
  const s = await startStack(config([route(primary.url, [], { shadow: shadowSpec(candidate.url, secondary.url) })]));
  add(s.close);
  await drive(s.base, 300);
  await s.app.shadow.reporter.idle();
  await sleep(50);
  await s.app.shadow.reporter.idle();
  const [e] = await endpoints(s.admin);
  assert.equal(e.endpoint, 'GET /users/:id');
  assert.equal(e.compared, 300);
  assert.equal(e.regressions, 30, '10% of requests regress');
  assert.deepEqual(fieldOf(e, 'body.tier'), { ...fieldOf(e, 'body.tier'), kind: 'changed', differences: 30, noise: 0, verdict: 'regression' });
  for (const p of ['body.meta.generatedAt', 'body.meta.requestId']) {
    const f = fieldOf(e, p)!;
    assert.equal(f.verdict, 'noise', p);
    assert.equal(f.differences, 300);
    assert.equal(f.noise, 300);
  }
  // x-request-id is on the default header ignore list.
  assert.equal(e.fields.some((f) => f.path.startsWith('header.')), false);
  assert.ok(fieldOf(e, 'body.tier')!.samples.length <= 5);
  assert.equal(fieldOf(e, 'body.tier')!.samples[0].candidate, 'gold');
  assert.equal(await metricValue(s.admin, 'doppel_shadow_comparisons_total', { endpoint: 'GET /users/:id', result: 'regression' }), 30);
  assert.equal(await metricValue(s.admin, 'doppel_shadow_comparisons_total', { endpoint: 'GET /users/:id', result: 'noise' }), 270);
});

test('pipelined backends: concurrent requests are each compared with their own answers', async () => {
  const primary = await upstream(userApi(() => false));
  const secondary = await upstream(userApi(() => false));
  const candidate = await upstream(userApi((id) => id % 10 === 3));
  let connections = 0;
  candidate.server.on('connection', () => connections++);
  const s = await startStack(config([route(primary.url, [], { shadow: shadowSpec(candidate.url, secondary.url, { pipelining: 8 }) })]));
  add(s.close);
  for (let batch = 0; batch < 4; batch++) {
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => request(s.base, `/users/${batch * 50 + i + 1}`)));
    for (const r of replies) assert.equal(r.status, 200);
  }
  await s.app.shadow.reporter.idle();
  await sleep(50);
  await s.app.shadow.reporter.idle();
  const [e] = await endpoints(s.admin);
  assert.equal(e.compared, 200);
  assert.equal(e.regressions, 20, 'exactly the changed users regress: no answer was paired with another request');
  assert.equal(fieldOf(e, 'body.tier')!.differences, 20);
  assert.equal(fieldOf(e, 'body.id'), undefined, 'ids always match their request');
  assert.ok(connections < 200, `${connections} candidate connections for 200 requests`);
});

test('without a secondary, ignore rules remove the noise and the regression stays', async () => {
  const primary = await upstream(userApi(() => false));
  const candidate = await upstream(userApi((id) => id % 10 === 3));
  const spec = shadowSpec(candidate.url, undefined, {}, { ignore: ['$.meta.generatedAt', '$..requestId'] });
  const s = await startStack(config([route(primary.url, [], { shadow: spec })]));
  add(s.close);
  await drive(s.base, 100);
  await sleep(50);
  await s.app.shadow.reporter.idle();
  const [e] = await endpoints(s.admin);
  assert.deepEqual(e.fields.map((f) => [f.path, f.verdict, f.differences]), [['body.tier', 'regression', 10]]);
  assert.equal(e.matches, 90);
  assert.equal(e.regressions, 10);
});

test('the client sees only the primary, byte for byte, whatever the candidate does', async () => {
  const fixed = (tag: string) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': tag });
    res.end(JSON.stringify({ backend: tag, items: [1, 2, 3] }));
  };
  const primary = await upstream(fixed('primary'));
  const candidate = await upstream(fixed('candidate'));
  const s = await startStack(config([route(primary.url, [], { shadow: shadowSpec(candidate.url) })]));
  add(s.close);
  const direct = await request(primary.url, '/x');
  const via = await request(s.base, '/x');
  assert.equal(via.sha256, direct.sha256);
  assert.equal(via.headers['x-backend'], 'primary');
  await candidate.waitFor(1);
  await sleep(30);
  await s.app.shadow.reporter.idle();
  const [e] = await endpoints(s.admin);
  assert.deepEqual(e.fields.map((f) => f.path).sort(), ['body.backend', 'header.x-backend']);
});

test('a candidate that hangs or answers garbage neither delays nor alters client responses', async () => {
  const primary = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const hanging = await upstream(() => {});
  const garbage = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(Buffer.from('this is not gzip {{{'));
  });
  const s = await startStack(
    config([
      route(primary.url, [], { name: 'hang', match: { path: { type: 'prefix', value: '/hang' } }, shadow: shadowSpec(hanging.url, undefined, { timeout: 2_000 }) }),
      route(primary.url, [], { name: 'garbage', shadow: shadowSpec(garbage.url) }),
    ]),
  );
  add(s.close);
  for (let i = 0; i < 20; i++) {
    for (const p of ['/hang/1', '/bad/1']) {
      const r = await request(s.base, p);
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), '{"ok":true}');
      assert.ok(r.ms < 1_000, `${p} took ${r.ms} ms with a candidate that hangs for 2 s`);
    }
  }
  await sleep(2_100);
  await s.app.shadow.reporter.idle();
  const reports = await endpoints(s.admin);
  const hang = reports.find((e) => e.route === 'hang')!;
  const bad = reports.find((e) => e.route === 'garbage')!;
  assert.equal(hang.errors, 20, 'hanging candidate counted as errors after its timeout');
  assert.equal(bad.compared, 20);
  assert.ok(bad.fields.length > 0, 'garbage is reported as a difference');
});

test('each regression log line carries the values of its own field', async () => {
  const doc = (price: number, at: string) => JSON.stringify({ meta: { at }, items: [{ id: 1, price: 1 }, { id: 2, price }] });
  const primary = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(doc(2, 't0'));
  });
  const candidate = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(doc(3, 't1'));
  });
  let log = '';
  const sink = new Writable({ write: (chunk, _e, cb) => ((log += chunk.toString()), cb()) });
  const s = await startStack(config([route(primary.url, [], { shadow: shadowSpec(candidate.url) })]), { logger: createLogger('warn', sink) });
  add(s.close);
  await drive(s.base, 3);
  await s.app.shadow.reporter.idle();
  const lines = log
    .split('\n')
    .filter((l) => l.includes('shadow regression'))
    .map((l) => JSON.parse(l) as { field: string; primary: unknown; candidateValue: unknown });
  const byField = new Map(lines.map((l) => [l.field, [l.primary, l.candidateValue]]));
  assert.deepEqual(byField.get('body.meta.at'), ['t0', 't1']);
  assert.deepEqual(byField.get('body.items[*].price'), [2, 3]);
});

test('a failing candidate is logged with its error code, a few lines per code, and counted as errors', async () => {
  const primary = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const down = `http://127.0.0.1:${await deadPort()}`;
  let log = '';
  const sink = new Writable({ write: (chunk, _e, cb) => ((log += chunk.toString()), cb()) });
  const s = await startStack(config([route(primary.url, [], { shadow: shadowSpec(down) })]), { logger: createLogger('warn', sink) });
  add(s.close);
  for (let i = 0; i < 12; i++) assert.equal((await request(s.base, `/x/${i}`)).status, 200);
  await s.app.shadow.reporter.idle();
  const lines = log
    .split('\n')
    .filter((l) => l.includes('shadow request failed'))
    .map((l) => JSON.parse(l) as { code: string; backend: string; url: string });
  assert.equal(lines.length, 5, 'five lines for twelve failures of one code');
  assert.ok(lines.every((l) => l.code === 'DOPPEL_ERR_MIRROR_CONNECT' && l.url.startsWith('/x/')), JSON.stringify(lines[0]));
  const [e] = await endpoints(s.admin);
  assert.equal(e.errors, 12);
});

test('a client that leaves before the primary answer ends is counted as skipped, not as an error', async () => {
  const primary = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"items":[');
    setTimeout(() => res.end('1]}'), 300);
  });
  const candidate = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"items":[1]}');
  });
  let log = '';
  const sink = new Writable({ write: (chunk, _e, cb) => ((log += chunk.toString()), cb()) });
  const s = await startStack(config([route(primary.url, [], { shadow: shadowSpec(candidate.url) })]), { logger: createLogger('warn', sink) });
  add(s.close);
  // A raw client that reads the response head and leaves.
  await new Promise<void>((resolve, reject) => {
    const sock = net.connect(Number(new URL(s.base).port), '127.0.0.1', () => sock.write('GET /left HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.once('data', (chunk) => {
      assert.match(chunk.toString('latin1'), /^HTTP\/1\.1 200/);
      sock.destroy();
      resolve();
    });
    sock.once('error', reject);
  });
  // A whole exchange afterwards is compared as usual.
  assert.equal((await request(s.base, '/whole')).status, 200);
  await sleep(400);
  await s.app.shadow.reporter.idle();
  assert.equal(await metricValue(s.admin, 'doppel_shadow_comparisons_total', { result: 'skipped' }), 1);
  assert.equal(await metricValue(s.admin, 'doppel_shadow_comparisons_total', { result: 'error' }), 0);
  assert.equal(await metricValue(s.admin, 'doppel_shadow_comparisons_total', { result: 'match' }), 1);
  assert.doesNotMatch(log, /shadow request failed/);
});
