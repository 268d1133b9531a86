/** Failures of the primary become typed client errors; the process keeps serving. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { config, route } from '../helpers/config.js';
import { deadPort, eventually, startUpstream, type Upstream } from '../helpers/servers.js';
import { metricSample, scrape, send, startProxy, type Doppel, type Reply } from '../helpers/client.js';

const on = (name: string, primary: string) => route(primary, [], { name, match: { path: { type: 'prefix', value: `/${name}` } } });

function assertDoppelError(r: Reply, status: number, code: string): void {
  assert.equal(r.status, status);
  assert.equal(r.headers['x-doppel-error'], code);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(JSON.parse(r.body.toString()).error, code);
}

describe('primary failures', () => {
  let ok: Upstream;
  let silent: Upstream;
  let stalling: Upstream;
  let resetting: Upstream;
  let closing: Upstream;
  let endless: Upstream;
  let garbage: net.Server;
  let doppel: Doppel;
  const endlessClosed: string[] = [];

  before(async () => {
    ok = await startUpstream((req, res) => {
      const kib = Number(new URL(req.url!, 'http://x').searchParams.get('kib') ?? 0);
      if (kib > 0) res.setHeader('x-big', 'h'.repeat(kib * 1024));
      res.end('fine');
    });
    silent = await startUpstream(() => {});
    stalling = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part, then nothing');
    });
    resetting = await startUpstream((req) => void req.socket.resetAndDestroy());
    closing = await startUpstream((req) => void req.socket.destroy());
    endless = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 1)), 5);
      req.on('close', () => endlessClosed.push('request'));
      res.on('close', () => {
        clearInterval(timer);
        endlessClosed.push(res.writableFinished ? 'finished' : 'response');
      });
    });
    garbage = net.createServer((s) => s.once('data', () => s.end('NOT HTTP AT ALL\r\n\r\n')));
    garbage.listen(0, '127.0.0.1');
    await once(garbage, 'listening');
    const garbageUrl = `http://127.0.0.1:${(garbage.address() as net.AddressInfo).port}`;
    const routes = [
      on('refused', `http://127.0.0.1:${await deadPort()}`),
      on('silent', silent.url),
      on('stall', stalling.url),
      on('reset', resetting.url),
      on('closing', closing.url),
      on('endless', endless.url),
      on('garbage', garbageUrl),
      route(ok.url, [], { name: 'ok' }),
    ];
    const timeouts = { connect: 2_000, primary: 300, idle: 300, clientHeaders: 10_000, shutdownGrace: 1_000, mirrorGrace: 200 };
    doppel = await startProxy(config(routes, { timeouts }));
  });
  after(async () => {
    await doppel.app.close();
    for (const u of [ok, silent, stalling, resetting, closing, endless]) await u.close();
    garbage.close();
  });

  async function stillServing(): Promise<void> {
    const r = await send(doppel.base, '/fine');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'fine');
  }

  test('connection refused -> 502 DOPPEL_ERR_UPSTREAM_CONNECT', async () => {
    assertDoppelError(await send(doppel.base, '/refused/x'), 502, 'DOPPEL_ERR_UPSTREAM_CONNECT');
    // With a request body the client gets the same answer and is not left hanging.
    const upload = await send(doppel.base, '/refused/upload', { method: 'POST', body: Buffer.alloc(512 * 1024, 7) });
    assertDoppelError(upload, 502, 'DOPPEL_ERR_UPSTREAM_CONNECT');
    await stillServing();
  });

  test('primary that never answers -> 504 DOPPEL_ERR_UPSTREAM_TIMEOUT', async () => {
    const started = Date.now();
    assertDoppelError(await send(doppel.base, '/silent'), 504, 'DOPPEL_ERR_UPSTREAM_TIMEOUT');
    assert.ok(Date.now() - started < 3_000, 'answered within a few times timeouts.primary');
    await stillServing();
  });

  test('primary that stalls mid-body -> client connection cut, error counted', async () => {
    const { status, body, complete } = await new Promise<{ status: number; body: string; complete: boolean }>((resolve, reject) => {
      http
        .get(`${doppel.base}/stall`, { agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('error', () => {});
          res.on('close', () => resolve({ status: res.statusCode!, body, complete: res.complete }));
        })
        .on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(body, 'first part, then nothing');
    assert.equal(complete, false, 'the response must not look complete');
    const text = await scrape(doppel.admin);
    assert.equal(metricSample(text, 'doppel_errors_total', { route: 'stall', code: 'DOPPEL_ERR_UPSTREAM_BODY_TIMEOUT' }), 1);
    await stillServing();
  });

  test('primary that resets the socket -> 502 DOPPEL_ERR_UPSTREAM_RESET', async () => {
    assertDoppelError(await send(doppel.base, '/reset'), 502, 'DOPPEL_ERR_UPSTREAM_RESET');
    assertDoppelError(await send(doppel.base, '/closing'), 502, 'DOPPEL_ERR_UPSTREAM_RESET');
    await stillServing();
  });

  test('primary that answers garbage -> 502 DOPPEL_ERR_UPSTREAM_PROTOCOL', async () => {
    assertDoppelError(await send(doppel.base, '/garbage'), 502, 'DOPPEL_ERR_UPSTREAM_PROTOCOL');
    await stillServing();
  });

  test('response headers up to 64 KiB pass; larger ones -> 502 DOPPEL_ERR_UPSTREAM_PROTOCOL', async () => {
    const big = await send(doppel.base, '/fine/big-headers?kib=40', { maxHeaderSize: 128 * 1024 });
    assert.equal(big.status, 200);
    assert.equal(big.headers['x-big'], 'h'.repeat(40 * 1024));
    assertDoppelError(await send(doppel.base, '/fine/big-headers?kib=80'), 502, 'DOPPEL_ERR_UPSTREAM_PROTOCOL');
    await stillServing();
  });

  test('client disconnect mid-response aborts the primary request', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${doppel.base}/endless`, { agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes > 64 * 1024) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => {});
      setTimeout(() => reject(new Error('no data')), 3_000).unref();
    });
    await eventually(() => endlessClosed.includes('response'), 3_000, 'the primary to see its response closed');
    assert.ok(!endlessClosed.includes('finished'));
    const text = await scrape(doppel.admin);
    assert.equal(metricSample(text, 'doppel_errors_total', { route: 'endless', code: 'DOPPEL_ERR_CLIENT_ABORTED' }), 1);
    assert.equal(doppel.app.proxy.inFlight, 0);
    await stillServing();
  });

  test('errors are counted by code and the 5xx answers by class', async () => {
    const text = await scrape(doppel.admin);
    assert.equal(metricSample(text, 'doppel_errors_total', { route: 'refused', code: 'DOPPEL_ERR_UPSTREAM_CONNECT' }), 2);
    assert.equal(metricSample(text, 'doppel_errors_total', { route: 'silent', code: 'DOPPEL_ERR_UPSTREAM_TIMEOUT' }), 1);
    assert.equal(metricSample(text, 'doppel_requests_total', { route: 'refused', status_class: '5xx' }), 2);
    assert.equal(metricSample(text, 'doppel_errors_total', { route: 'garbage', code: 'DOPPEL_ERR_UPSTREAM_PROTOCOL' }), 1);
    assert.equal(metricSample(text, 'doppel_requests_total', { route: 'ok', status_class: '2xx' }), 8);
  });
});
