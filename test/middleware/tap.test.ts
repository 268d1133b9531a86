/** The node request-body tap and response watch, on real node:http servers. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { observeRequestBody } from '../../src/middleware/node-body.js';
import { holdResponse, observeResponse } from '../../src/middleware/node-response.js';
import { serialiseParsedBody } from '../../src/middleware/parsed-body.js';
import type { BodySink } from '../../src/mirror/body.js';
import { sleep } from '../helpers/servers.js';
import { request, sha256 } from '../helpers/request.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((r) => (server.close(() => r()), server.closeAllConnections())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

class Collect implements BodySink {
  chunks: Buffer[] = [];
  state: 'open' | 'finished' | 'aborted' = 'open';
  readonly settled: Promise<void>;
  private settle!: () => void;
  constructor() {
    this.settled = new Promise((r) => (this.settle = r));
  }
  offer(c: Buffer) {
    this.chunks.push(c);
  }
  finish() {
    this.state = 'finished';
    this.settle();
  }
  abort() {
    this.state = 'aborted';
    this.settle();
  }
  get sha() {
    return sha256(Buffer.concat(this.chunks));
  }
}

const readAll = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

test('two sinks (mirror and shadow) on one request, one added after an await: both get the whole body, the app too', async () => {
  const sinks: Collect[] = [];
  const appSeen: string[] = [];
  const base = await serve(async (req, res) => {
    const a = new Collect();
    observeRequestBody(req, a);
    await sleep(40);
    const b = new Collect();
    observeRequestBody(req, b);
    sinks.push(a, b);
    appSeen.push(sha256(await readAll(req)));
    res.end('ok');
  });
  const body = randomBytes(200_000);
  await request(base, '/', { method: 'POST', body });
  await Promise.all(sinks.map((s) => s.settled));
  assert.deepEqual(sinks.map((s) => [s.state, s.sha]), [['finished', sha256(body)], ['finished', sha256(body)]]);
  assert.deepEqual(appSeen, [sha256(body)]);
});

test('a sink added after the app read part of the body is cut off, not fed a partial body', async () => {
  let late: Collect | null = null;
  const base = await serve((req, res) => {
    req.once('data', () => {
      req.pause();
      late = new Collect();
      observeRequestBody(req, late);
      req.resume();
      req.on('data', () => {});
      req.on('end', () => res.end('ok'));
    });
  });
  await request(base, '/', { method: 'POST', body: [randomBytes(20_000), randomBytes(20_000)] });
  await late!.settled;
  assert.equal(late!.state, 'aborted');
});

test('a body a parser already read to the end: the sink is cut off (callers use req.body instead)', async () => {
  let sink: Collect | null = null;
  const base = await serve(async (req, res) => {
    await readAll(req);
    sink = new Collect();
    observeRequestBody(req, sink);
    res.end();
  });
  await request(base, '/', { method: 'POST', body: 'abc' });
  assert.equal(sink!.state, 'aborted');
});

test('observeResponse sees status, headers from setHeader and writeHead, and every body byte; bytes sent are unchanged', async () => {
  const seen: { status?: number; headers?: string[]; body: Buffer[]; result?: { status: number; ttfb: number; duration: number } } = { body: [] };
  const base = await serve((_req, res) => {
    observeResponse(res, {
      start: (status, headers) => Object.assign(seen, { status, headers }),
      data: (c) => seen.body.push(c),
      end: () => {},
      error: () => {},
    }, (r) => (seen.result = r));
    res.setHeader('x-a', '1');
    res.writeHead(201, { 'content-type': 'text/plain', 'x-b': ['2', '3'] });
    res.write('héllo ');
    res.write(Buffer.from('wörld'));
    res.end(new Uint8Array([33]));
  });
  const reply = await request(base, '/');
  await sleep(20);
  assert.equal(reply.status, 201);
  assert.equal(reply.body.toString(), 'héllo wörld!');
  assert.equal(seen.status, 201);
  assert.deepEqual(seen.headers, ['x-a', '1', 'content-type', 'text/plain', 'x-b', '2', 'x-b', '3']);
  assert.equal(Buffer.concat(seen.body).toString(), 'héllo wörld!');
  assert.equal(seen.result!.status, 201);
  assert.ok(seen.result!.duration >= seen.result!.ttfb);
});

test('holdResponse delays the end until the promise settles', async () => {
  const base = await serve((_req, res) => {
    holdResponse(res, sleep(300));
    res.end('held');
  });
  const reply = await request(base, '/');
  assert.equal(reply.body.toString(), 'held');
  assert.ok(reply.ms >= 280, `${reply.ms}`);
});

test('serialiseParsedBody: buffers and text as they are, JSON and forms re-serialised', () => {
  assert.equal(serialiseParsedBody(undefined, 'application/json'), null);
  assert.equal(serialiseParsedBody(Buffer.from([1, 2]), undefined)!.toString('hex'), '0102');
  assert.equal(serialiseParsedBody('plain', 'text/plain')!.toString(), 'plain');
  assert.equal(serialiseParsedBody({ a: [1, { b: null }] }, 'application/json; charset=utf-8')!.toString(), '{"a":[1,{"b":null}]}');
  assert.equal(serialiseParsedBody({ q: 'a b', t: ['1', '2'], o: { k: 'v' } }, 'application/x-www-form-urlencoded')!.toString(), 'q=a+b&t=1&t=2&o%5Bk%5D=v');
});
