/** Hop-by-hop headers stop at doppel (both ways); forwarding headers are added. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardRequestHeaders, forwardResponseHeaders, isHopByHop, rawHeader, rawHeaderIncludes } from '../../src/core/headers.js';
import { config, route } from '../helpers/config.js';
import { startUpstream, type Upstream } from '../helpers/servers.js';
import { parseHead, rawExchange, send, startProxy, type Doppel } from '../helpers/client.js';

const info = { clientIp: '192.0.2.7', proto: 'http' as const, via: '1.1 doppel-test' };

/** All values of a header in a flat array, in order. */
function values(raw: readonly string[], lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === lower) out.push(raw[i + 1]);
  return out;
}

describe('forwardRequestHeaders', () => {
  test('drops hop-by-hop headers and those named in Connection, keeps the rest in order and case', () => {
    const raw = [
      'Host', 'api.example', 'Connection', 'keep-alive, X-Foo', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Trailer', 'X-Sum',
      'Upgrade', 'h2c', 'Proxy-Authorization', 'Basic Zm9vOmJhcg==', 'Proxy-Connection', 'keep-alive', 'Transfer-Encoding', 'chunked',
      'X-Foo', 'hidden', 'Accept', 'application/json', 'connection', 'X-Bar', 'x-bar', 'hidden too', 'Authorization', 'Bearer t', 'X-Keep', 'a',
      'X-Keep', 'b',
    ];
    const { headers, host } = forwardRequestHeaders(raw, info);
    assert.equal(host, 'api.example');
    assert.deepEqual(headers, [
      'Accept', 'application/json', 'Authorization', 'Bearer t', 'X-Keep', 'a', 'X-Keep', 'b',
      'x-forwarded-for', '192.0.2.7', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'api.example', 'via', '1.1 doppel-test',
    ]);
  });

  test('appends to X-Forwarded-For and Via (repeated headers joined in order)', () => {
    const raw = ['Host', 'h', 'X-Forwarded-For', '203.0.113.1', 'Via', '1.0 edge', 'x-forwarded-for', '198.51.100.2, 10.0.0.3', 'VIA', '1.1 lb'];
    const { headers } = forwardRequestHeaders(raw, { ...info, proto: 'https' });
    assert.deepEqual(values(headers, 'x-forwarded-for'), ['203.0.113.1, 198.51.100.2, 10.0.0.3, 192.0.2.7']);
    assert.deepEqual(values(headers, 'via'), ['1.0 edge, 1.1 lb, 1.1 doppel-test']);
    assert.deepEqual(values(headers, 'x-forwarded-proto'), ['https']);
  });

  test('keeps X-Forwarded-Proto/-Host the client sent, and sets no X-Forwarded-Host without Host', () => {
    const kept = forwardRequestHeaders(['Host', 'a.example', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'public.example'], info).headers;
    assert.deepEqual(values(kept, 'x-forwarded-proto'), ['https']);
    assert.deepEqual(values(kept, 'x-forwarded-host'), ['public.example']);
    const noHost = forwardRequestHeaders([], info);
    assert.equal(noHost.host, '');
    assert.deepEqual(noHost.headers, ['x-forwarded-for', '192.0.2.7', 'x-forwarded-proto', 'http', 'via', '1.1 doppel-test']);
  });

  test('isHopByHop and rawHeader', () => {
    for (const h of ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-connection']) assert.ok(isHopByHop(h), h);
    for (const h of ['authorization', 'cookie', 'content-length', 'x-forwarded-for']) assert.equal(isHopByHop(h), false, h);
    assert.equal(rawHeader(['A', '1', 'Content-Type', 'text/plain', 'content-type', 'x'], 'content-type'), 'text/plain');
    assert.equal(rawHeader(['A', '1'], 'b'), undefined);
    const via = ['Via', '1.0 edge', 'VIA', '1.1 doppel-abc'];
    assert.equal(rawHeaderIncludes(via, 'via', 'doppel-abc'), true);
    assert.equal(rawHeaderIncludes(via, 'via', 'doppel-xyz'), false);
  });
});

describe('forwardResponseHeaders', () => {
  test('drops hop-by-hop and Connection-named headers, keeps repeated ones in order', () => {
    const raw = [
      'Content-Type', 'text/html', 'Connection', 'keep-alive, X-Internal', 'Keep-Alive', 'timeout=5', 'Set-Cookie', 'a=1', 'X-Internal', 'secret',
      'Transfer-Encoding', 'chunked', 'Proxy-Authenticate', 'Basic', 'Trailer', 'X-Sum', 'Upgrade', 'h2c', 'set-cookie', 'b=2', 'ETag', '"x"',
    ].map((s, i) => (i % 4 === 0 ? Buffer.from(s, 'latin1') : s));
    assert.deepEqual(forwardResponseHeaders(raw), ['Content-Type', 'text/html', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'ETag', '"x"']);
  });

  test('keeps latin1 header bytes unchanged', () => {
    const value = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in latin1
    const out = forwardResponseHeaders([Buffer.from('X-Name'), value]);
    assert.deepEqual(Buffer.from(out[1], 'latin1'), value);
  });
});

describe('hop-by-hop headers through a running proxy', () => {
  let primary: Upstream;
  let doppel: Doppel;

  before(async () => {
    primary = await startUpstream((_req, res) => {
      res.writeHead(200, [
        'Content-Type', 'text/plain', 'Connection', 'X-Internal', 'X-Internal', 'secret', 'Keep-Alive', 'timeout=77', 'Proxy-Authenticate', 'Basic realm="p"',
        'Trailer', 'X-Sum', 'Upgrade', 'h2c', 'Proxy-Connection', 'keep-alive', 'X-Fine', 'ok',
      ]);
      res.end('body');
    });
    doppel = await startProxy(config([route(primary.url)]));
  });
  after(async () => {
    await doppel.app.close();
    await primary.close();
  });

  test('request: hop-by-hop headers never reach the primary; forwarding headers are set', async () => {
    const request =
      'GET /h?q=1 HTTP/1.1\r\nHost: app.example:8443\r\nConnection: keep-alive, X-Foo\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nTrailer: X-Sum\r\n' +
      'Upgrade: h2c\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\nX-Foo: must-not-pass\r\nX-Keep: yes\r\n' +
      'X-Forwarded-For: 203.0.113.9\r\nVia: 1.0 edge\r\nConnection: close\r\n\r\n';
    const head = parseHead(await rawExchange(doppel.port, request));
    assert.equal(head.status, 200);
    assert.equal(head.body, 'body');
    const [got] = await primary.waitFor(1);
    assert.equal(got.url, '/h?q=1');
    for (const name of ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-foo']) {
      assert.equal(got.headers[name], undefined, `${name} reached the primary`);
    }
    // The upstream connection's own Connection header, if any, carries none of the client's tokens.
    assert.doesNotMatch(String(got.headers.connection ?? ''), /x-foo|close/i);
    assert.equal(got.headers['x-keep'], 'yes');
    assert.equal(got.headers.host, 'app.example:8443');
    assert.equal(got.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
    assert.equal(got.headers['x-forwarded-host'], 'app.example:8443');
    assert.equal(got.headers.via, `1.0 edge, 1.1 ${doppel.app.proxy.instance}`);
  });

  test('response: hop-by-hop headers of the primary never reach the client', async () => {
    const r = await send(doppel.base, '/r');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'body');
    assert.equal(r.headers['x-fine'], 'ok');
    for (const name of ['x-internal', 'proxy-authenticate', 'trailer', 'upgrade', 'proxy-connection']) assert.equal(r.headers[name], undefined, `${name} reached the client`);
    assert.notEqual(r.headers['keep-alive'], 'timeout=77');
    assert.doesNotMatch(String(r.headers.connection), /x-internal/i);
  });
});
