/** Long-lived exchanges pass straight through and are never copied: WebSocket upgrades and SSE. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { config, route, target } from '../helpers/config.js';
import { eventually, sleep, startUpstream, type Upstream } from '../helpers/servers.js';
import { connect, parseHead, rawExchange, startProxy, type Doppel } from '../helpers/client.js';

const HANDSHAKE = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

/** Reads from a socket until `predicate` holds for what arrived so far. */
function readUntil(socket: Duplex, predicate: (text: string) => boolean, ms = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => (cleanup(), reject(new Error(`timed out; got ${JSON.stringify(text)}`))), ms);
    const onData = (c: Buffer): void => {
      text += c.toString('latin1');
      if (predicate(text)) (cleanup(), resolve(text));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
    };
    socket.on('data', onData);
  });
}

describe('pass-through of long-lived exchanges', () => {
  let primary: Upstream;
  let mirror: Upstream;
  let doppel: Doppel;
  const upgrades: http.IncomingHttpHeaders[] = [];
  const mirrorUpgrades: string[] = [];
  let primarySocketClosed = 0;
  const silentSockets: Duplex[] = [];
  let silentEnded = false;

  before(async () => {
    primary = await startUpstream(async (req, res) => {
      if (req.url === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (let i = 1; i <= 4; i++) {
          res.write(`id: ${i}\ndata: event ${i}\n\n`);
          await sleep(120);
        }
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('plain');
    });
    primary.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      upgrades.push(req.headers);
      socket.on('close', () => primarySocketClosed++);
      if (req.url === '/silent') {
        socket.on('end', () => (silentEnded = true));
        return void silentSockets.push(socket);
      }
      if (req.url === '/forbidden') {
        // A refused upgrade answered with a chunked body.
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nno ws\r\n0\r\n\r\n');
        return;
      }
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
      socket.write('hello from primary|');
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    mirror = await startUpstream();
    mirror.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
      mirrorUpgrades.push(req.url!);
      socket.destroy();
    });
    const timeouts = { connect: 1_000, primary: 500, idle: 5_000, clientHeaders: 5_000, shutdownGrace: 1_000, mirrorGrace: 200 };
    doppel = await startProxy(config([route(primary.url, [target(mirror.url)])], { timeouts }));
  });
  after(async () => {
    await doppel.app.close();
    await primary.close();
    await mirror.close();
  });

  test('a WebSocket upgrade passes through both ways and is not copied', async () => {
    const client = await connect(doppel.port);
    client.write(HANDSHAKE('/ws?room=1'));
    const head = await readUntil(client, (t) => t.includes('hello from primary|'));
    const parsed = parseHead(head);
    assert.equal(parsed.status, 101);
    assert.equal(parsed.headers.upgrade, 'websocket');
    assert.equal(parsed.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.equal(parsed.body, 'hello from primary|');

    client.write('ping-1');
    assert.equal(await readUntil(client, (t) => t.length >= 6), 'ping-1');
    const bin = Buffer.from([0x81, 0x85, 0x00, 0xff, 0x10, 0x20, 0x7f]);
    client.write(bin);
    assert.deepEqual(Buffer.from(await readUntil(client, (t) => t.length >= bin.length), 'latin1'), bin);

    const [h] = upgrades;
    assert.equal(h.upgrade, 'websocket');
    assert.match(String(h.connection), /upgrade/i);
    assert.equal(h['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==');
    assert.equal(h.host, 'ws.example');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h.via, `1.1 ${doppel.app.proxy.instance}`);

    client.destroy();
    await eventually(() => primarySocketClosed === 1, 3_000, 'the primary socket to close after the client left');
    await sleep(50);
    assert.deepEqual(mirrorUpgrades, []);
    assert.equal(mirror.received.length, 0);
  });

  test('bytes sent right after the handshake reach the primary', async () => {
    const client = await connect(doppel.port);
    client.write(HANDSHAKE('/ws') + 'early bytes');
    const text = await readUntil(client, (t) => t.includes('early bytes'));
    assert.ok(text.endsWith('hello from primary|early bytes'));
    client.destroy();
  });

  test('an upgrade the primary refuses reaches the client as a well-formed response', async () => {
    const text = await rawExchange(doppel.port, HANDSHAKE('/forbidden'));
    const parsed = parseHead(text);
    assert.equal(parsed.status, 403);
    assert.equal(parsed.headers['transfer-encoding'], undefined);
    assert.equal(parsed.headers.connection, 'close');
    assert.equal(parsed.body, 'no ws');
  });

  test('graceful shutdown ends open tunnels instead of waiting for them', async () => {
    const other = await startProxy(config([route(primary.url)], { timeouts: { connect: 1_000, primary: 1_000, idle: 1_000, clientHeaders: 5_000, shutdownGrace: 1_000, mirrorGrace: 100 } }));
    const client = await connect(other.port);
    client.write(HANDSHAKE('/ws'));
    await readUntil(client, (t) => t.includes('hello from primary|'));
    const clientClosed = new Promise((r) => client.once('close', r));
    const started = Date.now();
    await other.app.close();
    await clientClosed;
    assert.ok(Date.now() - started < 3_000, `close took ${Date.now() - started} ms`);
  });

  test('a primary that never answers the handshake -> 504, and its socket is closed', async () => {
    const parsed = parseHead(await rawExchange(doppel.port, HANDSHAKE('/silent')));
    assert.equal(parsed.status, 504);
    assert.equal(parsed.headers['x-doppel-error'], 'DOPPEL_ERR_UPSTREAM_TIMEOUT');
    assert.equal(silentSockets.length, 1);
    await eventually(() => silentEnded, 3_000, 'doppel to close its side of the upstream socket');
    silentSockets[0].destroy();
  });

  test('an upgrade that loops back to this instance is refused', async () => {
    const text = await rawExchange(doppel.port, HANDSHAKE('/ws', `Via: 1.1 ${doppel.app.proxy.instance}\r\n`));
    assert.equal(parseHead(text).status, 508);
    assert.equal(parseHead(text).headers['x-doppel-error'], 'DOPPEL_ERR_LOOP');
  });

  test('server-sent events arrive event by event and are not copied', async () => {
    const arrivals: { at: number; text: string }[] = [];
    const started = Date.now();
    const ended = await new Promise<number>((resolve, reject) => {
      http
        .get(`${doppel.base}/events`, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['content-type'], 'text/event-stream');
          res.setEncoding('utf8');
          res.on('data', (c: string) => arrivals.push({ at: Date.now() - started, text: c }));
          res.on('end', () => resolve(Date.now() - started));
        })
        .on('error', reject);
    });
    assert.ok(arrivals.length >= 2, 'events arrive in separate chunks');
    assert.match(arrivals[0].text, /^id: 1\ndata: event 1\n\n/);
    assert.ok(!arrivals[0].text.includes('event 4'));
    // Three 120 ms pauses follow the first event; it must not wait for them.
    assert.ok(ended - arrivals[0].at >= 250, `first event at ${arrivals[0].at} ms, end at ${ended} ms`);
    assert.equal(arrivals.map((a) => a.text).join(''), [1, 2, 3, 4].map((i) => `id: ${i}\ndata: event ${i}\n\n`).join(''));

    // A plain request is copied; the event stream before it was not.
    const plain = await new Promise<number>((resolve) => http.get(`${doppel.base}/plain`, { agent: false }, (r) => (r.resume(), resolve(r.statusCode!))));
    assert.equal(plain, 200);
    await eventually(() => mirror.received.length === 1, 3_000, 'the copy of the plain request');
    await sleep(50);
    assert.deepEqual(mirror.received.map((r) => r.url), ['/plain']);
  });
});
