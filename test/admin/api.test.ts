/**
 * The admin API of the shadow report against a real doppel in front of the sample v1 and
 * v2 backends, with a SQLite store: overview, endpoints, fields, samples, one sample,
 * latency, marks, clear, restart, token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFlags, parseConfig } from '../../src/config/index.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { startSampleBackend } from '../../src/demo/backends.js';
import { request } from '../helpers/request.js';
import { startStack, type Running } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';

const { add } = cleanup();
const dir = mkdtempSync(join(tmpdir(), 'doppel-api-'));
const db = join(dir, 'report.db');

async function backends() {
  const v1 = await startSampleBackend('v1');
  const v1b = await startSampleBackend('v1');
  const v2 = await startSampleBackend('v2');
  for (const b of [v1, v1b, v2]) add(b.close);
  return { v1, v1b, v2 };
}

function stackConfig(b: Awaited<ReturnType<typeof backends>>, over: { token?: string } = {}): ResolvedConfig {
  const c = fromFlags({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', adminToken: over.token, primary: b.v1.url, mirror: [b.v2.url], candidate: [b.v2.url], secondary: b.v1b.url, store: db, logLevel: 'silent' });
  const r = c.routes[0];
  r.mirrors[0].name = 'v2-mirror';
  r.shadow!.candidates[0].name = 'v2';
  r.shadow!.compare.arraysAt = [{ path: '$.items', mode: { mode: 'byKey', key: 'id' } }];
  return c;
}

async function drive(s: Running, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) assert.equal((await request(s.base, `/api/users/${i}`, { headers: { authorization: 'Bearer client-secret' } })).status, 200);
  assert.equal((await request(s.base, '/api/users?limit=3')).status, 200);
  await s.app.shadow.reporter.idle();
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function get(s: Running, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${s.admin}${path}`, { headers });
  return { status: r.status, body: await r.json() };
}

async function post(s: Running, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${s.admin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

const USER = 'GET /api/users/:id';

test('admin API: overview, endpoints, fields, samples, latency, marks, restart, clear', async () => {
  const b = await backends();
  let s = await startStack(stackConfig(b));
  await drive(s, 1, 60);

  const overview = (await get(s, '/api/v1/overview')).body;
  assert.equal(overview.compared, 61);
  assert.ok(overview.regressions > 0 && overview.requests >= 61 && overview.uptimeSeconds >= 0);
  assert.equal(overview.matches + overview.noise + overview.regressions, overview.compared);
  assert.deepEqual(overview.candidates, ['v2']);
  assert.equal(overview.targets.length, 1);
  assert.deepEqual(Object.keys(overview.targets[0]).sort(), ['circuit', 'dropped', 'error', 'ok', 'route', 'target', 'timeout']);
  assert.equal(overview.targets[0].target, 'v2-mirror');
  assert.equal(overview.mirrored, overview.targets[0].ok + overview.targets[0].error + overview.targets[0].timeout);

  const rows = (await get(s, '/api/v1/endpoints')).body as Json[];
  const user = rows.find((r) => r.endpoint === USER);
  assert.ok(user && typeof user.id === 'string' && /^[A-Za-z0-9_-]+$/.test(user.id));
  assert.equal(user.compared, 60);

  const fields = (await get(s, `/api/v1/endpoints/${user.id}/fields`)).body;
  assert.equal(fields.endpoint.id, user.id);
  assert.equal(fields.endpoint.endpoint, USER);
  const plan = fields.fields.find((f: Json) => f.key === 'body.plan|changed');
  assert.deepEqual({ ...plan, relative: 0, absolute: 0 }, { key: 'body.plan|changed', path: 'body.plan', kind: 'changed', differences: 6, noise: 0, verdict: 'regression', mark: null, samples: 5, relative: 0, absolute: 0 });
  const noisy = fields.fields.find((f: Json) => f.key === 'body.updatedAt|changed');
  assert.equal(noisy.verdict, 'noise');

  const samples = (await get(s, `/api/v1/endpoints/${user.id}/fields/${encodeURIComponent('body.plan|changed')}/samples`)).body;
  assert.equal(samples.samples.length, 5);
  assert.equal(samples.field.key, 'body.plan|changed');
  const first = samples.samples[0];
  assert.deepEqual([first.primary, first.candidate], ['free', 'business']);
  assert.ok(typeof first.id === 'string');

  const one = (await get(s, `/api/v1/samples/${first.id}`)).body;
  assert.equal(one.id, first.id);
  assert.equal(one.endpointId, user.id);
  assert.equal(one.candidateName, 'v2');
  assert.equal(one.request.method, 'GET');
  assert.equal(one.request.url, first.url);
  assert.equal(one.request.headers.authorization, '[redacted]');
  assert.equal(one.primary.status, 200);
  assert.equal(one.primary.bodyType, 'json');
  assert.equal(one.primary.body.plan, 'free');
  assert.equal(one.candidate.body.plan, 'business');
  assert.equal(one.candidate.body.locale, 'en');
  assert.ok(one.differences.some((d: Json) => d.path === 'body.plan' && d.primary === 'free' && d.candidate === 'business'));

  const latency = (await get(s, '/api/v1/latency')).body as Json[];
  const lat = latency.find((l) => l.id === user.id);
  assert.equal(lat.latency.primary.total.count, 60);
  assert.ok(lat.latency.candidate.ttfb.p50 > 0 && lat.latency.candidate.total.p99 >= lat.latency.candidate.total.p50);
  assert.ok('ratio' in lat.latency);

  // marks: noise forces the verdict; ignored drops the field from new comparisons
  assert.equal((await post(s, '/api/v1/fields/mark', { endpointId: user.id, field: 'body.plan|changed', mark: 'noise' })).status, 200);
  assert.equal((await post(s, '/api/v1/fields/mark', { endpointId: user.id, field: 'body.locale|extra', mark: 'ignored' })).status, 200);
  const marked = (await get(s, `/api/v1/endpoints/${user.id}/fields`)).body.fields as Json[];
  assert.deepEqual(marked.filter((f) => f.mark).map((f) => [f.key, f.mark, f.verdict]).sort(), [['body.locale|extra', 'ignored', 'noise'], ['body.plan|changed', 'noise', 'noise']]);
  const before = user.regressions;
  await drive(s, 61, 80);
  const after = (await get(s, `/api/v1/endpoints/${user.id}/fields`)).body;
  assert.equal(after.endpoint.compared, 80);
  assert.equal(after.endpoint.regressions, before, 'no new regressions once plan is noise and locale ignored');
  assert.equal(after.fields.find((f: Json) => f.key === 'body.locale|extra').differences, 60, 'ignored field not counted');
  assert.equal(after.fields.find((f: Json) => f.key === 'body.plan|changed').differences, 8, 'noise-marked field still counted');
  const marks = (await get(s, '/api/v1/marks')).body as Json[];
  assert.equal(marks.length, 2);
  assert.equal((await post(s, '/api/v1/fields/mark', { endpointId: user.id, field: 'body.plan|changed', mark: 'none' })).body.mark, 'none');
  assert.equal((await get(s, '/api/v1/marks')).body.length, 1);

  // restart: counters, samples, exchanges and marks come back from the file
  await s.close();
  s = await startStack(stackConfig(b));
  add(() => s.close());
  const again = (await get(s, `/api/v1/endpoints/${user.id}/fields`)).body;
  assert.equal(again.endpoint.compared, 80);
  assert.equal(again.fields.find((f: Json) => f.key === 'body.locale|extra').mark, 'ignored');
  assert.equal((await get(s, `/api/v1/samples/${first.id}`)).body.candidate.body.plan, 'business');

  // errors
  assert.equal((await get(s, '/api/v1/endpoints/not-an-id!/fields')).status, 400);
  const unknown = Buffer.from(JSON.stringify(['x', 'y', 'z'])).toString('base64url');
  assert.equal((await get(s, `/api/v1/endpoints/${unknown}/fields`)).status, 404);
  assert.equal((await get(s, `/api/v1/endpoints/${user.id}/fields/${encodeURIComponent('body.nope|changed')}/samples`)).status, 404);
  assert.equal((await get(s, '/api/v1/samples/unknown')).status, 404);
  assert.equal((await post(s, '/api/v1/fields/mark', { endpointId: user.id, field: 'body.plan|changed', mark: 'maybe' })).status, 400);
  assert.equal((await post(s, '/api/v1/fields/mark', { endpointId: user.id, field: 'plan', mark: 'noise' })).status, 400);
  assert.equal((await post(s, '/api/v1/fields/mark', '{not json')).status, 400);
  assert.equal((await post(s, '/api/v1/clear', { marks: 'yes' })).status, 400);

  // clear: results go, marks stay unless asked
  assert.deepEqual((await post(s, '/api/v1/clear', {})).body, { cleared: true, marks: false });
  assert.deepEqual((await get(s, '/api/v1/endpoints')).body, []);
  assert.equal((await get(s, '/api/v1/marks')).body.length, 1);
  assert.equal((await get(s, '/api/v1/overview')).body.compared, 0);
  assert.deepEqual((await post(s, '/api/v1/clear', { marks: true })).body, { cleared: true, marks: true });
  assert.deepEqual((await get(s, '/api/v1/marks')).body, []);
  await s.app.store!.flush();
});

test('admin API: bearer token required when configured; health stays open', async () => {
  const b = await backends();
  const s = await startStack({ ...stackConfig(b, { token: 's3cret' }), store: undefined });
  add(s.close);
  assert.equal((await get(s, '/api/v1/overview')).status, 401);
  assert.equal((await get(s, '/api/v1/overview', { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await post(s, '/api/v1/clear', {})).status, 401);
  assert.equal((await get(s, '/api/v1/overview', { authorization: 'Bearer s3cret' })).status, 200);
  assert.equal((await get(s, '/api/v1/endpoints', { authorization: 'Bearer s3cret' })).status, 200);
  assert.equal((await fetch(`${s.admin}/healthz`)).status, 200);
});

test('a non-loopback admin address needs a token (file and flags)', () => {
  assert.throws(() => parseConfig('admin: { listen: "0.0.0.0:9090" }\nroutes: [{ primary: "http://h:1" }]', 'f.yaml', {}), /not a loopback address.*token/);
  assert.doesNotThrow(() => parseConfig('admin: { listen: "0.0.0.0:9090", token: t }\nroutes: [{ primary: "http://h:1" }]', 'f.yaml', {}));
  assert.throws(() => fromFlags({ primary: 'http://h:1', admin: '0.0.0.0:9090' }), /not a loopback address/);
});
