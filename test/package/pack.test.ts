/**
 * The published package: build, pack, install the tarball into an empty project, import
 * every entry point, run one mirrored request through `doppel/node` between real servers,
 * type-check a consumer against the shipped declarations, and run the installed CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_UPDATE_NOTIFIER: '1' } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Runs in the consumer project: imports every entry point and mirrors one request. */
const SCRIPT = `
import http from 'node:http';
import { once } from 'node:events';
const root = await import('doppel');
const nodeEntry = await import('doppel/node');
const expressEntry = await import('doppel/express');
const fastifyEntry = await import('doppel/fastify');
const honoEntry = await import('doppel/hono');

const received = [];
const mirror = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    received.push({ method: req.method, url: req.url, from: req.headers['x-mirrored-from'], body: Buffer.concat(chunks).toString() });
    res.end('ok');
  });
});
mirror.listen(0, '127.0.0.1');
await once(mirror, 'listening');
const target = 'http://127.0.0.1:' + mirror.address().port;
const handler = nodeEntry.withMirror((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => res.end('app read ' + Buffer.concat(chunks).length + ' bytes'));
}, { targets: [target], async: false });
const app = http.createServer(handler);
app.listen(0, '127.0.0.1');
await once(app, 'listening');
const reply = await new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port: app.address().port, path: '/orders?id=7', method: 'POST', headers: { host: 'shop.example' } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
  });
  req.on('error', reject);
  req.end('hello');
});
const text = reply.text;
console.log(JSON.stringify({
  root: ['startDoppel', 'DoppelProxy', 'compareResponses', 'captureFromBuffer', 'loadConfigFile', 'parseConfig', 'fromFlags', 'DoppelError', 'ERRORS', 'Metrics', 'ShadowAggregator', 'createMirror']
    .filter((k) => root[k] === undefined),
  adapters: [nodeEntry, expressEntry, fastifyEntry, honoEntry].map((m) => [typeof m.mirror, typeof m.shadow, typeof m.metricsHandler, typeof m.percentage]),
  status: reply.status,
  text,
  received,
}));
app.close();
await handler.close();

// The proxy from the package root, with its admin server and dashboard.
const proxy = await root.startDoppel(root.fromFlags({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', primary: target, logLevel: 'silent' }));
const proxied = await fetch('http://127.0.0.1:' + proxy.address.port + '/via-proxy');
const dashboard = await fetch('http://127.0.0.1:' + proxy.adminAddress.port + '/');
console.log(JSON.stringify({ proxied: proxied.status, dashboard: dashboard.status, dashboardType: dashboard.headers.get('content-type') }));
await proxy.close();
mirror.close();
`;

const CONSUMER = `
import { createMirror, compareResponses, captureFromBuffer, DoppelError, type MirrorOptions, type CompareResult } from 'doppel';
import { mirror, withMirror, shadow, metricsHandler, percentage } from 'doppel/node';
import { mirror as expressMirror } from 'doppel/express';
import { mirror as honoMirror } from 'doppel/hono';
import { mirror as fastifyMirror } from 'doppel/fastify';
const options: MirrorOptions = { targets: ['http://127.0.0.1:1', percentage('http://127.0.0.1:2', 5)], timeout: 100 };
const engine = createMirror(options);
const mw = mirror('http://127.0.0.1:1');
const listener = withMirror((_req, res) => res.end(), options);
const tester = shadow({ candidate: 'http://127.0.0.1:3' });
const rows: number = tester.report().length;
const result: Promise<CompareResult> = compareResponses(captureFromBuffer(200, {}, 'a'), captureFromBuffer(200, {}, 'b'));
const err: string = new DoppelError('DOPPEL_ERR_MIRROR_TIMEOUT').code;
export { engine, mw, listener, rows, result, err, expressMirror, honoMirror, fastifyMirror, metricsHandler };
`;

test('npm pack: the tarball installs into an empty project and every entry point works', { timeout: 900_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'doppel-pack-'));
  try {
    await rm(join(root, 'dist'), { recursive: true, force: true });
    await sh(npm, ['run', 'build'], root);
    const packed = JSON.parse(await sh(npm, ['pack', '--json', '--pack-destination', dir], root)) as { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'bin/doppel.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'docs/middleware.md']) assert.ok(files.includes(f), `${f} is in the package`);
    for (const entry of ['node', 'express', 'fastify', 'hono']) {
      assert.ok(files.includes(`dist/adapters/${entry}.js`) && files.includes(`dist/adapters/${entry}.d.ts`), `${entry} adapter is in the package`);
    }
    // Only the dashboard's static files come from src/ (the compiled code finds them there).
    assert.deepEqual(files.filter((f) => (f.startsWith('src/') && !f.startsWith('src/dashboard/')) || f.endsWith('.ts') && !f.endsWith('.d.ts') || f.startsWith('test/')), []);
    assert.ok(files.includes('src/dashboard/index.html'), 'dashboard page is in the package');

    const project = join(dir, 'consumer');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // Install scripts are skipped: the only native one builds the SQLite store, which this test does not use.
    await sh(npm, ['install', join(dir, packed[0].filename), '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], project, 600_000);

    await writeFile(join(project, 'check.mjs'), SCRIPT);
    const lines = (await sh(process.execPath, ['check.mjs'], project)).trim().split('\n');
    const out = JSON.parse(lines[lines.length - 2]);
    assert.deepEqual(JSON.parse(lines[lines.length - 1]), { proxied: 200, dashboard: 200, dashboardType: 'text/html; charset=utf-8' });
    assert.deepEqual(out.root, [], 'root exports present');
    assert.deepEqual(out.adapters, Array(4).fill(['function', 'function', 'function', 'function']));
    assert.equal(out.status, 200);
    assert.equal(out.text, 'app read 5 bytes');
    assert.deepEqual(out.received, [{ method: 'POST', url: '/orders?id=7', from: 'shop.example', body: 'hello' }]);

    await writeFile(join(project, 'consumer.ts'), CONSUMER);
    await sh(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), 'consumer.ts',
    ], project);

    const version = (await sh('npx', ['--no-install', 'doppel', '--version'], project)).trim();
    assert.equal(version, (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
