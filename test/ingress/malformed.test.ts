/** Requests doppel refuses itself, each with a typed error, never reaching the primary. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { config, route } from '../helpers/config.js';
import { startUpstream, type Upstream } from '../helpers/servers.js';
import { metricSample, parseHead, rawExchange, scrape, send, startProxy, type Doppel } from '../helpers/client.js';

describe('malformed and refused requests', () => {
  let primary: Upstream;
  let doppel: Doppel;

  before(async () => {
    primary = await startUpstream();
    doppel = await startProxy(config([route(primary.url, [], { name: 'api', match: { path: { type: 'prefix', value: '/api' } } })]));
  });
  after(async () => {
    await doppel.app.close();
    await primary.close();
  });

  async function refused(request: string, status: number, code: string): Promise<void> {
    const head = parseHead(await rawExchange(doppel.port, request));
    assert.equal(head.status, status, request.slice(0, 40));
    assert.equal(head.headers['x-doppel-error'], code);
    assert.equal(head.headers.connection, 'close');
    assert.equal(JSON.parse(head.body).error, code);
  }

  test('raw socket garbage -> 400 DOPPEL_ERR_BAD_REQUEST', async () => {
    await refused('\x16\x03\x01\x00\xa5 definitely not http\r\n\r\n', 400, 'DOPPEL_ERR_BAD_REQUEST');
    await refused('GET /api HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n', 400, 'DOPPEL_ERR_BAD_REQUEST');
    await refused('POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'DOPPEL_ERR_BAD_REQUEST');
    // Request smuggling shapes are refused, not forwarded.
    await refused('POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'DOPPEL_ERR_BAD_REQUEST');
    assert.equal(primary.received.length, 0);
  });

  test('targets doppel cannot forward -> 400 DOPPEL_ERR_BAD_REQUEST', async () => {
    await refused('OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'DOPPEL_ERR_BAD_REQUEST');
    await refused('GET ftp://files.example/api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'DOPPEL_ERR_BAD_REQUEST');
    await refused('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 400, 'DOPPEL_ERR_BAD_REQUEST');
    assert.equal(primary.received.length, 0);
  });

  test('oversized headers -> 431', async () => {
    await refused(`GET /api HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(80 * 1024)}\r\n\r\n`, 431, 'DOPPEL_ERR_BAD_REQUEST');
    assert.equal(primary.received.length, 0);
  });

  test('headers not sent within timeouts.clientHeaders -> 408 DOPPEL_ERR_REQUEST_TIMEOUT', async () => {
    const strict = await startProxy(config([route(primary.url)], { timeouts: { connect: 1_000, primary: 1_000, idle: 1_000, clientHeaders: 400, shutdownGrace: 500, mirrorGrace: 100 } }));
    try {
      const started = Date.now();
      const head = parseHead(await rawExchange(strict.port, 'GET /api HTTP/1.1\r\nHost: x\r\nX-Slow: still typing'));
      assert.equal(head.status, 408);
      assert.equal(head.headers['x-doppel-error'], 'DOPPEL_ERR_REQUEST_TIMEOUT');
      assert.ok(Date.now() - started < 3_000, `answered after ${Date.now() - started} ms`);
    } finally {
      await strict.app.close();
    }
  });

  test('no matching route -> 404 DOPPEL_ERR_NO_ROUTE', async () => {
    const r = await send(doppel.base, '/other/path');
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-doppel-error'], 'DOPPEL_ERR_NO_ROUTE');
    assert.equal(JSON.parse(r.body.toString()).error, 'DOPPEL_ERR_NO_ROUTE');
    // A request body is read and dropped; the connection stays usable.
    const post = await send(doppel.base, '/nowhere', { method: 'POST', body: Buffer.alloc(256 * 1024) });
    assert.equal(post.status, 404);
    const ok = await send(doppel.base, '/api/users');
    assert.equal(ok.status, 200);
    assert.deepEqual(primary.received.map((x) => x.url), ['/api/users']);
    // Requests that matched no route count under route="-".
    const text = await scrape(doppel.admin);
    assert.equal(metricSample(text, 'doppel_errors_total', { route: '-', code: 'DOPPEL_ERR_NO_ROUTE' }), 2);
  });

  test('an absolute-form target is forwarded in origin-form, with its authority as Host', async () => {
    const before = primary.received.length;
    const head = parseHead(await rawExchange(doppel.port, 'GET http://app.example:8080/api/abs?x=1 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n'));
    assert.equal(head.status, 200);
    const got = primary.received[before];
    assert.equal(got.url, '/api/abs?x=1');
    assert.equal(got.headers.host, 'app.example:8080');
  });

  test('a request that already passed through this instance -> 508 DOPPEL_ERR_LOOP', async () => {
    const before = primary.received.length;
    const id = doppel.app.proxy.instance;
    for (const via of [`1.1 ${id}`, `1.0 edge, 1.1 ${id}`]) {
      const r = await send(doppel.base, '/api/loop', { headers: { via } });
      assert.equal(r.status, 508);
      assert.equal(r.headers['x-doppel-error'], 'DOPPEL_ERR_LOOP');
    }
    // Also when the instance is named in a second Via header line.
    await refused(`GET /api/loop HTTP/1.1\r\nHost: x\r\nVia: 1.0 edge\r\nVia: 1.1 ${id}\r\nConnection: close\r\n\r\n`, 508, 'DOPPEL_ERR_LOOP');
    assert.equal(primary.received.length, before);
    // Another proxy's Via passes.
    const other = await send(doppel.base, '/api/ok', { headers: { via: '1.1 doppel-00000000' } });
    assert.equal(other.status, 200);
  });
});
