/** The `doppel` command: help, version, validate, quick mode, config file, reload, signals, demo. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/spawn.js';
import { startUpstream, eventually } from '../helpers/servers.js';
import { request } from '../helpers/request.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});
const dir = mkdtempSync(join(tmpdir(), 'doppel-cli-'));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

test('--version and --help', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), pkg.version);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  for (const flag of ['--listen', '--admin', '--primary', '--mirror', '--candidate', '--secondary', '--config', '--workers', 'validate', 'demo']) assert.ok(h.stdout.includes(flag), `help mentions ${flag}`);
  const vh = await runCli(['validate', '--help']);
  assert.equal(vh.code, 0);
  assert.match(vh.stdout, /file:line:col/);
});

test('validate: exit 0 for a valid file, 2 with file:line:col for each problem', async () => {
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'routes:\n  - primary: http://127.0.0.1:3000\n    mirrors:\n      - http://127.0.0.1:3001\n');
  const ok = await runCli(['validate', good]);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'listne: 1\nroutes:\n  - primary: not a url\n');
  const r = await runCli(['validate', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:1:1: .*listne.*listen`));
  assert.match(r.stderr, /bad\.yaml:3:\d+: /);
  const missing = await runCli(['validate', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 2);
});

test('no primary and no config is a usage error (exit 2)', async () => {
  const r = await runCli(['--listen', '127.0.0.1:0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--primary/);
});

test('quick mode mirrors and stops gracefully on SIGTERM', async () => {
  const primary = await startUpstream();
  const mirror = await startUpstream();
  closers.push(primary.close, mirror.close);
  const d = startCli(['--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--primary', primary.url, '--mirror', `${mirror.url}|100%`]);
  closers.push(() => d.stop('SIGKILL'));
  const m = await d.waitFor(/"listen":"127\.0\.0\.1:(\d+)"/);
  const r = await request(`http://127.0.0.1:${m[1]}`, '/quick');
  assert.equal(r.status, 200);
  await mirror.waitFor(1);
  assert.equal(await d.stop('SIGTERM'), 0);
  assert.match(d.output(), /stopped/);
});

test('config file: hot reload on file change; an invalid file is rejected and the old config kept', async () => {
  const a = await startUpstream((_q, res) => res.end('A'));
  const b = await startUpstream((_q, res) => res.end('B'));
  closers.push(a.close, b.close);
  const file = join(dir, 'reload.yaml');
  const write = (primary: string) => writeFileSync(file, `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nroutes:\n  - name: main\n    primary: ${primary}\n`);
  write(a.url);
  const d = startCli(['--config', file]);
  closers.push(() => d.stop('SIGKILL'));
  const m = await d.waitFor(/"listen":"127\.0\.0\.1:(\d+)"/);
  const base = `http://127.0.0.1:${m[1]}`;
  assert.equal((await request(base, '/')).body.toString(), 'A');
  write(b.url);
  await eventually(async () => (await request(base, '/')).body.toString() === 'B', 5_000, 'reload to B');
  writeFileSync(file, 'routes: [ {primary: nope\n');
  await d.waitFor(/configuration rejected/);
  assert.equal((await request(base, '/')).body.toString(), 'B');
  write(a.url);
  d.child.kill('SIGHUP');
  await eventually(async () => (await request(base, '/')).body.toString() === 'A', 5_000, 'SIGHUP reload to A');
  assert.equal(await d.stop('SIGINT'), 0);
});

test('demo runs, mirrors, compares and exits with --once', async () => {
  const r = await runCli(['demo', '--once', '--port', '0', '--admin-port', '0', '--requests', '60'], { ms: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sent 60 requests/);
  assert.match(r.stdout, /v2-mirror\s+ok\s+60/);
  assert.match(r.stdout, /REGRESSION body\.plan \(changed\)/);
  assert.match(r.stdout, /noise\s+body\.requestId/);
  assert.match(r.stdout, /metrics\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
});
