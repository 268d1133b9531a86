/**
 * The client's answer through doppel is the primary's answer: same status and reason,
 * same body bytes, same headers apart from the connection-management ones a hop sets.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import http, { type ServerResponse } from 'node:http';
import { config, route, target } from '../helpers/config.js';
import { startUpstream, sleep, eventually, type Upstream } from '../helpers/servers.js';
import { send, sha256, startProxy, type Doppel, type Reply } from '../helpers/client.js';

/** Headers each hop sets for itself; everything else must be identical. */
const PER_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

const binary = randomBytes(2 * 1024 * 1024);
const gzipped = gzipSync(Buffer.from('hello doppel '.repeat(5_000)));

async function respond(url: string, res: ServerResponse): Promise<void> {
  switch (url) {
    case '/json':
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"', 'x-custom': 'Value With Case', 'cache-control': 'max-age=60' });
      return void res.end(JSON.stringify({ ok: true, items: [1, 2, 3], text: 'ünïcødé' }));
    case '/binary':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': binary.length });
      return void res.end(binary);
    case '/chunked': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 40; i++) {
        res.write(`part ${i} ${'x'.repeat(i * 7)}\n`);
        if (i % 8 === 0) await sleep(5);
      }
      return void res.end('last\n');
    }
    case '/gzip':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': gzipped.length, vary: 'Accept-Encoding' });
      return void res.end(gzipped);
    case '/empty':
      res.writeHead(204, { 'x-empty': '1' });
      return void res.end();
    case '/cached':
      res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' });
      return void res.end();
    case '/cookies':
      res.writeHead(200, ['Set-Cookie', 'a=1; Path=/', 'Content-Type', 'text/plain', 'Set-Cookie', 'b=2; HttpOnly', 'set-cookie', 'c=3; Secure; SameSite=Lax']);
      return void res.end('cookies');
    case '/reason':
      res.writeHead(299, 'Quite Fine Indeed', { 'content-type': 'text/plain' });
      return void res.end('custom reason');
    default:
      res.writeHead(404);
      res.end();
  }
}

/** Header pairs in order, names lower-cased, per-hop ones left out. */
function endToEnd(raw: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < raw.length; i += 2) if (!PER_HOP.has(raw[i].toLowerCase())) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

function assertSame(direct: Reply, proxied: Reply, what: string): void {
  assert.equal(proxied.status, direct.status, `${what}: status`);
  assert.equal(proxied.statusMessage, direct.statusMessage, `${what}: reason phrase`);
  assert.equal(proxied.sha256, direct.sha256, `${what}: body sha256`);
  assert.equal(proxied.body.length, direct.body.length, `${what}: body length`);
  assert.deepEqual(endToEnd(proxied.rawHeaders), endToEnd(direct.rawHeaders), `${what}: headers`);
}

const CASES: { what: string; path: string; method?: string; headers?: Record<string, string>; check(r: Reply): void }[] = [
  { what: 'JSON', path: '/json', check: (r) => assert.equal(JSON.parse(r.body.toString()).text, 'ünïcødé') },
  { what: '2 MiB binary', path: '/binary', check: (r) => (assert.equal(r.sha256, sha256(binary)), assert.equal(r.headers['content-length'], String(binary.length))) },
  { what: 'chunked stream', path: '/chunked', check: (r) => (assert.match(r.body.toString(), /^part 0 \npart 1 x{7}\n/), assert.ok(r.body.toString().endsWith('part 39 ' + 'x'.repeat(273) + '\nlast\n'))) },
  { what: 'gzip body', path: '/gzip', headers: { 'accept-encoding': 'gzip' }, check: (r) => (assert.equal(r.headers['content-encoding'], 'gzip'), assert.equal(r.sha256, sha256(gzipped))) },
  { what: '204', path: '/empty', check: (r) => (assert.equal(r.status, 204), assert.equal(r.body.length, 0)) },
  { what: '304', path: '/cached', headers: { 'if-none-match': '"v1"' }, check: (r) => (assert.equal(r.status, 304), assert.equal(r.headers.etag, '"v1"')) },
  { what: 'HEAD', path: '/json', method: 'HEAD', check: (r) => (assert.equal(r.status, 200), assert.equal(r.body.length, 0), assert.equal(r.headers['content-type'], 'application/json')) },
  {
    what: 'repeated set-cookie',
    path: '/cookies',
    check: (r) => assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly', 'c=3; Secure; SameSite=Lax']),
  },
  { what: 'custom reason phrase', path: '/reason', check: (r) => (assert.equal(r.status, 299), assert.equal(r.statusMessage, 'Quite Fine Indeed')) },
];

describe('client responses through doppel are identical to the primary', () => {
  let primary: Upstream;
  let mirror: Upstream;
  let plain: Doppel;
  let mirrored: Doppel;

  before(async () => {
    primary = await startUpstream((req, res) => respond(req.url!, res));
    mirror = await startUpstream((_req, res) => {
      // A mirror with a different answer must not change anything the client sees.
      res.writeHead(500, { 'content-type': 'text/plain', 'set-cookie': 'mirror=1' });
      res.end('mirror answer');
    });
    plain = await startProxy(config([route(primary.url)]));
    mirrored = await startProxy(config([route(primary.url, [target(mirror.url)])]));
  });
  after(async () => {
    await plain.app.close();
    await mirrored.app.close();
    await primary.close();
    await mirror.close();
  });

  for (const c of CASES) {
    test(c.what, async () => {
      const opts = { method: c.method, headers: c.headers };
      const direct = await send(primary.url, c.path, opts);
      c.check(direct);
      const proxied = await send(plain.base, c.path, opts);
      c.check(proxied);
      assertSame(direct, proxied, c.what);
      const viaMirrorRoute = await send(mirrored.base, c.path, opts);
      c.check(viaMirrorRoute);
      assertSame(direct, viaMirrorRoute, `${c.what} (with a mirror target)`);
    });
  }

  test('the mirror target received a copy of every request', async () => {
    await eventually(() => mirror.received.length >= CASES.length, 5_000, 'copies at the mirror');
    assert.deepEqual(
      mirror.received.map((r) => `${r.method} ${r.url}`).sort(),
      CASES.map((c) => `${c.method ?? 'GET'} ${c.path}`).sort(),
    );
    assert.ok(mirror.received.every((r) => r.headers['x-mirrored-from'] !== undefined));
  });

  test('many concurrent requests on keep-alive connections stay identical', async () => {
    const direct = await send(primary.url, '/binary');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => send(plain.base, i % 2 ? '/binary' : '/chunked', { agent })));
    agent.destroy();
    for (const [i, r] of replies.entries()) {
      assert.equal(r.status, 200);
      if (i % 2) assert.equal(r.sha256, direct.sha256);
      else assert.ok(r.body.toString().endsWith('last\n'));
    }
  });
});
