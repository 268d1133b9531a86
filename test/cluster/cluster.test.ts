/**
 * `doppel --workers 2` as a real process: requests are served by both workers, mirrors
 * land, the admin port aggregates the workers' metrics, a changed configuration applies
 * on SIGHUP, a killed worker is replaced, and SIGTERM stops it gracefully with exit 0.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { deadPort, eventually, sleep, startUpstream, type Upstream } from '../helpers/servers.js';
import { request } from '../helpers/request.js';
import { metricSample, scrape } from '../helpers/client.js';

const BIN = new URL('../../bin/doppel.js', import.meta.url).pathname;

function yaml(listen: number, admin: number, primary: string, mirror: string | null): string {
  return [
    `listen: 127.0.0.1:${listen}`,
    `admin: { listen: 127.0.0.1:${admin} }`,
    'log: { level: warn }',
    'timeouts: { shutdownGrace: 5s, mirrorGrace: 500ms }',
    'routes:',
    `  - primary: ${primary}`,
    mirror ? `    mirrors: [${mirror}]` : '    mirror: off',
    '',
  ].join('\n');
}

const answer = (name: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
  const send = () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ from: name, via: req.headers.via }));
  };
  if (req.url?.startsWith('/slow')) setTimeout(send, 400);
  else send();
};

/** Value of an unlabelled sample, e.g. `doppel_cluster_workers 2`. */
function plain(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

async function workers(admin: string): Promise<{ pid: number; ready: boolean; restarts: number }[]> {
  const res = await fetch(`${admin}/api/v1/workers`);
  return ((await res.json()) as { workers: { pid: number; ready: boolean; restarts: number }[] }).workers;
}

describe('doppel --workers 2', () => {
  let primaryA: Upstream;
  let primaryB: Upstream;
  let mirror: Upstream;
  let dir: string;
  let file: string;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let base: string;
  let admin: string;
  let stderr = '';
  let port = 0;
  let adminPort = 0;

  before(async () => {
    primaryA = await startUpstream(answer('a'));
    primaryB = await startUpstream(answer('b'));
    mirror = await startUpstream(answer('m'));
    // Cluster workers share the port the primary binds, so take a known free one.
    port = await deadPort();
    adminPort = await deadPort();
    base = `http://127.0.0.1:${port}`;
    admin = `http://127.0.0.1:${adminPort}`;
    dir = mkdtempSync(join(tmpdir(), 'doppel-cluster-'));
    file = join(dir, 'doppel.yaml');
    writeFileSync(file, yaml(port, adminPort, primaryA.url, mirror.url));
    child = spawn(process.execPath, [BIN, '--config', file, '--workers', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`doppel exited early (${child.exitCode}): ${stderr}`);
        return (await fetch(`${admin}/readyz`).catch(() => null))?.status === 200;
      },
      60_000,
      'the cluster to be ready',
    );
  });

  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([primaryA.close(), primaryB.close(), mirror.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves requests from both workers, mirrors them, and aggregates the metrics', async () => {
    const n = 40;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => request(base, `/item/${i}`, { agent: false })));
    assert.ok(replies.every((r) => r.status === 200));
    assert.ok(replies.every((r) => JSON.parse(r.body.toString()).from === 'a'));
    // Every worker has its own instance id in Via: both took connections.
    const vias = new Set(primaryA.received.map((r) => r.headers.via));
    assert.equal(vias.size, 2, `requests reached ${vias.size} worker(s)`);
    await mirror.waitFor(n, 10_000);
    await eventually(async () => metricSample(await scrape(admin), 'doppel_mirror_requests_total', { outcome: 'ok' }) === n, 10_000, 'mirror outcomes');
    const text = await scrape(admin);
    assert.equal(metricSample(text, 'doppel_requests_total', { status_class: '2xx' }), n);
    assert.equal(plain(text, 'doppel_cluster_workers'), 2);
    const targets = (await (await fetch(`${admin}/api/v1/targets`)).json()) as { workers: number; targets: { target: string }[] };
    assert.equal(targets.workers, 2);
    assert.equal(targets.targets.length, 1);
    assert.equal((await fetch(`${admin}/api/v1/endpoints`)).status, 200);
  });

  it('reloads a changed configuration file in every worker on SIGHUP', async () => {
    const before = mirror.received.length;
    writeFileSync(file, yaml(port, adminPort, primaryB.url, null));
    child.kill('SIGHUP');
    await eventually(async () => JSON.parse((await request(base, '/probe', { agent: false })).body.toString()).from === 'b', 10_000, 'the new primary');
    // Give the other worker its reload too, then every connection lands on the new primary.
    await sleep(300);
    const replies = await Promise.all(Array.from({ length: 10 }, () => request(base, '/after', { agent: false })));
    assert.deepEqual(new Set(replies.map((r) => JSON.parse(r.body.toString()).from)), new Set(['b']));
    await sleep(200);
    assert.ok(mirror.received.filter((r) => r.url === '/after').length === 0, 'mirroring is off after the reload');
    assert.ok(mirror.received.length >= before);
  });

  it('replaces a killed worker', async () => {
    const [victim] = await workers(admin);
    process.kill(victim.pid, 'SIGKILL');
    await eventually(
      async () => {
        const list = await workers(admin);
        return list.length === 2 && list.every((w) => w.ready && w.pid !== victim.pid);
      },
      30_000,
      'a replacement worker',
    );
    assert.equal(plain(await scrape(admin), 'doppel_cluster_worker_restarts_total'), 1);
    const replies = await Promise.all(Array.from({ length: 10 }, () => request(base, '/again', { agent: false })));
    assert.ok(replies.every((r) => r.status === 200));
  });

  it('finishes requests under way and exits 0 on SIGTERM', async () => {
    const slow = request(base, '/slow', { agent: false });
    await eventually(() => primaryB.received.some((r) => r.url === '/slow'), 5_000, 'the slow request upstream');
    child.kill('SIGTERM');
    const reply = await slow;
    assert.equal(reply.status, 200);
    assert.equal(await exited, 0);
    await assert.rejects(request(base, '/gone', { agent: false }));
  });
});
