/** Several labelled candidates, candidate-only rewrites, methods and size limits of shadow testing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { config, route, shadowSpec, backendSpec } from '../helpers/config.js';
import { sleep } from '../helpers/servers.js';
import { request } from '../helpers/request.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';
import type { EndpointReport } from '../../src/report/aggregate-types.js';

const { add, upstream } = cleanup();
const json = (value: (req: IncomingMessage) => unknown) => (req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value(req)));
};
async function settle(s: { app: { shadow: { reporter: { idle(): Promise<void> } } } }) {
  await sleep(50);
  await s.app.shadow.reporter.idle();
}
const reportOf = async (admin: string) => (await (await fetch(`${admin}/api/v1/endpoints`)).json()) as EndpointReport[];

test('two labelled candidates are compared separately; a candidate-only rewrite maps /v4/ to /v5/', async () => {
  const primary = await upstream(json((req) => ({ path: req.url!.replace('/v4/', '/vX/'), n: 1 })));
  const v5 = await upstream(json((req) => ({ path: req.url!.replace('/v5/', '/vX/'), n: 1 })));
  const broken = await upstream(json(() => ({ path: 'other', n: 2 })));
  const spec = shadowSpec(v5.url);
  spec.candidates = [{ ...backendSpec(v5.url, 'v5'), rewrite: { path: { from: '^/v4/', to: '/v5/' } } }, backendSpec(broken.url, 'broken')];
  const s = await startStack(config([route(primary.url, [], { shadow: spec })]));
  add(s.close);
  for (let i = 0; i < 10; i++) assert.equal((await request(s.base, `/v4/items/${i}`)).status, 200);
  await settle(s);
  assert.deepEqual(v5.received.map((r) => r.url).slice(0, 2), ['/v4/items/0', '/v4/items/1'].map((u) => u.replace('/v4/', '/v5/')));
  assert.equal(primary.received[0].url, '/v4/items/0');
  const reports = await reportOf(s.admin);
  const good = reports.find((e) => e.candidate === 'v5')!;
  const bad = reports.find((e) => e.candidate === 'broken')!;
  assert.equal(good.endpoint, 'GET /v4/items/:id');
  assert.equal(good.matches, 10);
  assert.equal(good.fields.length, 0);
  assert.equal(bad.regressions, 10);
  assert.deepEqual(bad.fields.map((f) => f.path).sort(), ['body.n', 'body.path']);
});

test('side-effect methods are shadowed only when listed; the body reaches the candidate', async () => {
  const primary = await upstream(json(() => ({ ok: true })));
  const candidate = await upstream(json(() => ({ ok: true })));
  const s = await startStack(
    config([
      route(primary.url, [], { name: 'writes', match: { path: { type: 'prefix', value: '/orders' } }, shadow: shadowSpec(candidate.url, undefined, { methods: ['GET', 'POST'] }) }),
      route(primary.url, [], { name: 'reads', shadow: shadowSpec(candidate.url) }),
    ]),
  );
  add(s.close);
  await request(s.base, '/orders', { method: 'POST', body: '{"sku":1}', headers: { 'content-type': 'application/json' } });
  await request(s.base, '/users', { method: 'POST', body: '{"name":"x"}' });
  await request(s.base, '/users', { method: 'DELETE' });
  await settle(s);
  assert.deepEqual(candidate.received.map((r) => [r.method, r.url, r.body.toString()]), [['POST', '/orders', '{"sku":1}']]);
  assert.equal(primary.received.length, 3);
});

test('responses over maxCompareSize are compared by length and sha256 only', async () => {
  const blob = randomBytes(200_000);
  const other = Buffer.from(blob);
  other[150_000] ^= 0xff;
  const bin = (b: Buffer) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(b);
  };
  const primary = await upstream(bin(blob));
  const same = await upstream(bin(blob));
  const differs = await upstream(bin(other));
  const small = { maxCompareSize: 64 * 1024 };
  const s = await startStack(
    config([
      route(primary.url, [], { name: 'same', match: { path: { type: 'prefix', value: '/same' } }, shadow: shadowSpec(same.url, undefined, {}, small) }),
      route(primary.url, [], { name: 'differs', shadow: shadowSpec(differs.url, undefined, {}, small) }),
    ]),
  );
  add(s.close);
  const r1 = await request(s.base, '/same/blob');
  const r2 = await request(s.base, '/differs/blob');
  assert.equal(r1.body.length, 200_000);
  assert.ok(r2.body.equals(blob), 'client gets the primary bytes');
  await settle(s);
  const reports = await reportOf(s.admin);
  assert.equal(reports.find((e) => e.route === 'same')!.matches, 1);
  const d = reports.find((e) => e.route === 'differs')!;
  assert.equal(d.regressions, 1);
  assert.deepEqual(d.fields.map((f) => [f.path, f.kind]), [['body', 'changed']]);
});

test('per-route noise thresholds decide the verdict', async () => {
  const primary = await upstream(json((req) => ({ id: req.url, v: 1 })));
  const candidate = await upstream(json((req) => ({ id: req.url, v: req.url!.endsWith('/3') ? 2 : 1 })));
  const s = await startStack(
    config([
      route(primary.url, [], { name: 'strict', match: { path: { type: 'prefix', value: '/strict' } }, shadow: shadowSpec(candidate.url) }),
      route(primary.url, [], { name: 'lenient', shadow: shadowSpec(candidate.url, undefined, { noise: { relative: 0.2, absolute: 0.5 } }) }),
    ]),
  );
  add(s.close);
  for (let i = 0; i < 10; i++) {
    await request(s.base, `/strict/${i}`);
    await request(s.base, `/lenient/${i}`);
  }
  await settle(s);
  const reports = await reportOf(s.admin);
  assert.equal(reports.find((e) => e.route === 'strict')!.fields[0].verdict, 'regression');
  assert.equal(reports.find((e) => e.route === 'lenient')!.fields[0].verdict, 'noise', '1 in 10 is under an absolute threshold of 50%');
});
