/**
 * `doppel report` and `doppel store clear` as a CI job runs them: exit codes (0 pass,
 * 1 gate fails, 2 usage) and every format against a prepared store; JUnit parsed back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { ShadowAggregator, type ShadowOutcome } from '../../src/report/aggregate.js';
import { openStore } from '../../src/store/index.js';
import { config, route } from '../helpers/config.js';
import { startStack } from '../helpers/stack.js';
import { cleanup } from '../helpers/cleanup.js';
import { runCli } from '../helpers/spawn.js';

const { add, upstream } = cleanup();
const dir = mkdtempSync(join(tmpdir(), 'doppel-report-'));
const db = join(dir, 'report.db');

function outcome(url: string, raw: ShadowOutcome['raw']): ShadowOutcome {
  return { route: 'api', method: 'GET', url, candidate: 'v2', result: 'compared', raw, noise: null, timings: { primary: { ttfb: 5, total: 10 }, candidate: { ttfb: 6, total: 12 } }, at: Date.now() };
}

/** 200 user requests, 10% with a changed plan (a `|` and `<` in the value); 50 health checks that match. */
function record(agg: ShadowAggregator): void {
  for (let i = 0; i < 200; i++) agg.record(outcome(`/users/${i}`, i % 10 === 7 ? [{ path: 'body.plan', kind: 'changed', primary: 'free', candidate: 'pro|<b>' }] : []));
  for (let i = 0; i < 50; i++) agg.record(outcome('/health', []));
}

const prepared = (async () => {
  const store = await openStore(db);
  record(new ShadowAggregator({ store }));
  await store.close();
})();

const report = async (...args: string[]) => {
  await prepared;
  return runCli(['report', ...args]);
};

test('no gate: the report prints and exits 0', async () => {
  const r = await report('--store', db);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /FAIL\s+GET \/users\/:id\s+api\s+v2\s+200\s+20\s+10%/);
  assert.match(r.stdout, /ok\s+GET \/health/);
  assert.match(r.stdout, /body\.plan \(changed\): 20 differences, 0 noise; e\.g\. GET \/users\/7/);
  assert.match(r.stdout, /Gate passed\./);
});

test('gate: --fail-on-regressions, --max-regression-rate, --endpoint, --min-compared', async () => {
  const fail = await report('--store', db, '--fail-on-regressions');
  assert.equal(fail.code, 1);
  assert.match(fail.stdout, /Gate FAILED:\n {2}- GET \/users\/:id \(route api, candidate v2\): 1 regressing field/);
  assert.equal((await report('--store', db, '--max-regression-rate', '10%')).code, 0, 'a rate equal to the maximum passes');
  const over = await report('--store', db, '--max-regression-rate', '0.1%');
  assert.equal(over.code, 1);
  assert.match(over.stdout, /regression rate 10% > 0\.1%/);
  assert.equal((await report('--store', db, '--max-regression-rate', '0.5')).code, 0, 'a bare fraction');
  assert.equal((await report('--store', db, '--fail-on-regressions', '--endpoint', 'GET /health')).code, 0);
  assert.equal((await report('--store', db, '--fail-on-regressions', '--endpoint', 'GET /users/*')).code, 1);
  assert.equal((await report('--store', db, '--min-compared', '1000')).code, 1);
  assert.equal((await report('--store', db, '--min-compared', '250')).code, 0);
});

test('formats: json, markdown and junit (parsed back)', async () => {
  const j = await report('--store', db, '--format', 'json', '--fail-on-regressions');
  assert.equal(j.code, 1);
  const parsed = JSON.parse(j.stdout);
  assert.equal(parsed.passed, false);
  assert.deepEqual(parsed.totals, { endpoints: 2, requests: 250, compared: 250, regressions: 20, regressing: 1, failed: 1 });
  const users = parsed.endpoints.find((e: { endpoint: string }) => e.endpoint === 'GET /users/:id');
  assert.equal(users.regressionRate, 0.1);
  assert.equal(typeof users.id, 'string');
  assert.deepEqual(users.fields[0].sample.candidate, 'pro|<b>');

  const md = await report('--store', db, '--format', 'markdown', '--fail-on-regressions');
  assert.equal(md.code, 1);
  assert.match(md.stdout, /^## doppel shadow report/);
  assert.match(md.stdout, /❌ \*\*Gate failed\*\*/);
  assert.match(md.stdout, /\| ❌ \| `GET \/users\/:id` \| api \| v2 \| 200 \| 20 \| 10% \|/);
  assert.match(md.stdout, /\| ✅ \| `GET \/health` \|/);
  assert.match(md.stdout, /### ❌ `GET \/users\/:id`/);
  assert.match(md.stdout, /\| `body\.plan` \| changed \| 20 \| 0 \| `GET \/users\/7`: `"free"` → `"pro\\\|<b>"` \|/, 'pipes escaped in cells');

  const x = await report('--store', db, '--format', 'junit', '--fail-on-regressions', '--min-compared', '10');
  assert.equal(x.code, 1);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(x.stdout);
  const suite = doc.testsuites.testsuite;
  assert.equal(doc.testsuites.tests, '3');
  assert.equal(doc.testsuites.failures, '1');
  assert.equal(suite.testcase.length, 3);
  const byName = Object.fromEntries(suite.testcase.map((c: { name: string }) => [c.name, c]));
  assert.equal(byName['GET /users/:id'].classname, 'doppel.api.v2');
  assert.match(byName['GET /users/:id'].failure.message, /1 regressing field, regression rate 10%/);
  assert.match(byName['GET /users/:id'].failure['#text'], /body\.plan \(changed\): 20 differences.*"pro\|<b>"/);
  assert.equal(byName['GET /health'].failure, undefined);
  assert.equal(byName['compared requests'].failure, undefined);
  const pass = await report('--store', db, '--format', 'junit', '--max-regression-rate', '50%');
  assert.equal(pass.code, 0);
  assert.equal(new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(pass.stdout).testsuites.failures, '0');
});

test('usage errors exit 2', async () => {
  const cases: string[][] = [
    [],
    ['--store', join(dir, 'missing.db')],
    ['--store', db, '--max-regression-rate', 'lots'],
    ['--store', db, '--min-compared', '-1'],
    ['--store', db, '--format', 'yaml'],
    ['--store', db, '--bogus'],
    ['--store', db, '--admin', 'http://127.0.0.1:1'],
    ['--admin', 'http://127.0.0.1:1'],
  ];
  for (const args of cases) {
    const r = await report(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0);
  }
});

test('--admin reads a running doppel (with its token); store clear empties a store', async () => {
  const primary = await upstream();
  const s = await startStack(config([route(primary.url)], { admin: { listen: { host: '127.0.0.1', port: 0 }, token: 'tok' } }));
  add(s.close);
  record(s.app.shadow.aggregator);
  assert.equal((await report('--admin', s.admin)).code, 2, 'no token');
  const r = await report('--admin', s.admin, '--token', 'tok', '--fail-on-regressions', '--format', 'json');
  assert.equal(r.code, 1, r.stderr);
  assert.equal(JSON.parse(r.stdout).totals.compared, 250);
  const env = await runCli(['report', '--admin', s.admin, '--max-regression-rate', '20%'], { env: { DOPPEL_ADMIN_TOKEN: 'tok' } });
  assert.equal(env.code, 0, env.stderr);

  await prepared;
  const copy = join(dir, 'copy.db');
  copyFileSync(db, copy);
  const c = await runCli(['store', 'clear', '--store', copy]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /cleared the results of/);
  const after = await runCli(['report', '--store', copy, '--fail-on-regressions', '--format', 'json']);
  assert.equal(after.code, 0);
  assert.equal(JSON.parse(after.stdout).totals.endpoints, 0);
  assert.equal((await runCli(['store', 'clear'])).code, 2);
});
