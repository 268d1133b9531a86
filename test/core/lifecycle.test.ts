/** Graceful shutdown and hot reload never fail a client request. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { DoppelError } from '../../src/core/errors.js';
import { config, route, target } from '../helpers/config.js';
import { eventually, sleep, startUpstream, type Upstream } from '../helpers/servers.js';
import { send, serve, sha256, startProxy, type Doppel, type Served } from '../helpers/client.js';

const MiB = 1024 * 1024;
const timeouts = { connect: 1_000, primary: 5_000, idle: 5_000, clientHeaders: 5_000, shutdownGrace: 5_000, mirrorGrace: 1_000 };

/** GET with a reader that takes its time, so the proxy's last bytes are still queued when the primary is done. */
function slowGet(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, async (res) => {
        const chunks: Buffer[] = [];
        let since = 0;
        try {
          for await (const c of res) {
            chunks.push(c as Buffer);
            since += (c as Buffer).length;
            if (since >= 512 * 1024) {
              since = 0;
              await sleep(15);
            }
          }
          resolve({ status: res.statusCode!, body: Buffer.concat(chunks) });
        } catch (err) {
          reject(err);
        }
      })
      .on('error', reject);
  });
}

describe('graceful shutdown', () => {
  const payload = randomBytes(8 * MiB);
  let primary: Served;
  let arrived = 0;

  before(async () => {
    primary = await serve((req, res) => {
      arrived++;
      if (req.url !== '/slow') return void res.end('quick');
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': payload.length });
        res.end(payload);
      }, 300);
    });
  });
  after(() => primary.close());

  test('a request under way completes; new connections are refused; /readyz is 503 while draining', async () => {
    const doppel = await startProxy(config([route(primary.url)], { timeouts }));
    const ready = await fetch(`${doppel.admin}/readyz`);
    assert.equal(ready.status, 200);
    const seen = arrived;
    const inFlight = slowGet(`${doppel.base}/slow`);
    await eventually(() => arrived > seen, 3_000, 'the request at the primary');

    const closing = doppel.app.close();
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(doppel.port, '127.0.0.1', () => (s.destroy(), resolve('connected')));
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
    const draining = await fetch(`${doppel.admin}/readyz`);
    assert.equal(draining.status, 503);
    assert.deepEqual(await draining.json(), { status: 'draining' });

    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.equal(r.body.length, payload.length);
    assert.equal(sha256(r.body), sha256(payload));
    await closing;
  });

  test('copies under way get their grace, and no more', async () => {
    let slowDone = 0;
    const slowMirror = await serve((_req, res) => {
      setTimeout(() => {
        res.end('late');
        slowDone++;
      }, 300);
    });
    const stuckMirror = await serve(() => {});
    const outcomes: string[] = [];
    const doppel = await startProxy(
      config([route(primary.url, [target(slowMirror.url, { name: 'slow', timeout: 10_000 }), target(stuckMirror.url, { name: 'stuck', timeout: 10_000 })])], { timeouts }),
      {
        hooks: {
          onSuccess: (t, r) => outcomes.push(`${t} ${r.status}`),
          onError: (t, err: DoppelError) => outcomes.push(`${t} ${err.code}`),
        },
      },
    );
    const r = await send(doppel.base, '/quick');
    assert.equal(r.body.toString(), 'quick');
    assert.equal(doppel.app.proxy.copiesInFlight(), 2);
    const started = Date.now();
    await doppel.app.close();
    const took = Date.now() - started;
    assert.equal(slowDone, 1);
    assert.ok(outcomes.includes('slow 200'), outcomes.join());
    // The stuck copy is cut at the end of mirrorGrace (1 s), long before its own 10 s timeout.
    assert.ok(took >= 900 && took < 3_000, `close took ${took} ms`);
    await eventually(() => outcomes.some((o) => o.startsWith('stuck DOPPEL_ERR_MIRROR')), 1_000, 'the stuck copy to end');
    assert.equal(doppel.app.proxy.copiesInFlight(), 0);
    await slowMirror.close();
    await stuckMirror.close();
  });
});

describe('hot reload', () => {
  let a: Upstream;
  let b: Upstream;
  let doppel: Doppel;
  let configs: [ReturnType<typeof config>, ReturnType<typeof config>];

  before(async () => {
    const respond = (name: string) => async (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/hang') return;
      if (req.url === '/slow') await sleep(400);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(name);
    };
    a = await startUpstream(respond('A'));
    b = await startUpstream(respond('B'));
    configs = [config([route(a.url)], { timeouts }), config([route(b.url)], { timeouts })];
    doppel = await startProxy(configs[0]);
  });
  after(async () => {
    await doppel.app.close();
    await a.close();
    await b.close();
  });

  test('requests under way and new ones all succeed across 20 reloads', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const statuses = new Map<number, number>();
    const bodies = new Set<string>();
    let completed = 0;
    const worker = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const r = await send(doppel.base, `/loop/${i}`, { agent: i % 3 === 0 ? false : agent });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        bodies.add(r.body.toString());
        completed++;
      }
    };
    // 10 concurrent loops of 30 sequential requests, some on fresh connections.
    const load = Promise.all(Array.from({ length: 10 }, () => worker(30)));
    // Reloads spread over the whole run: one after every 14 answers.
    for (let k = 1; k <= 20; k++) {
      await eventually(() => completed >= k * 14, 10_000, `${k * 14} answers`);
      assert.equal(doppel.app.reload(configs[k % 2]), true);
    }
    await load;
    agent.destroy();
    assert.deepEqual([...statuses], [[200, 300]]);
    assert.deepEqual([...bodies].sort(), ['A', 'B']);

    // The 20th reload applied configs[0] (primary A): new requests go there only.
    const before = { a: a.received.length, b: b.received.length };
    for (let i = 0; i < 5; i++) assert.equal((await send(doppel.base, '/after')).body.toString(), 'A');
    assert.equal(a.received.length - before.a, 5);
    assert.equal(b.received.length, before.b);
  });

  test('a request under way on the old configuration finishes on the old primary', async () => {
    const slow = send(doppel.base, '/slow');
    await eventually(() => a.received.some((r) => r.url === '/slow'), 3_000, 'the slow request at A');
    assert.equal(doppel.app.reload(configs[1]), true);
    const fresh = await send(doppel.base, '/fresh');
    assert.equal(fresh.body.toString(), 'B');
    const old = await slow;
    assert.equal(old.status, 200);
    assert.equal(old.body.toString(), 'A');
    assert.equal(b.received.filter((r) => r.url === '/slow').length, 0);
  });

  test('timeouts changed by a reload apply to primaries already in use', async () => {
    // The pool of primary A is made with the 5 s timeout, then kept by the second reload.
    assert.equal(doppel.app.reload(configs[0]), true);
    assert.equal((await send(doppel.base, '/warm')).body.toString(), 'A');
    assert.equal(doppel.app.reload(config([route(a.url)], { timeouts: { ...timeouts, primary: 300 } })), true);
    const started = Date.now();
    const r = await send(doppel.base, '/hang');
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-doppel-error'], 'DOPPEL_ERR_UPSTREAM_TIMEOUT');
    // Far below the 5 s the pool of primary A was created with.
    assert.ok(Date.now() - started < 3_000, `answered after ${Date.now() - started} ms`);
  });
});
