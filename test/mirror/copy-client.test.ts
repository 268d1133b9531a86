/**
 * The lean copy client against real sockets: raw TCP servers that answer pipelined
 * requests with scripted bytes (split anywhere), close, stall or misbehave, and an HTTP
 * server for the requests it hands to its undici fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Pool } from 'undici';
import { createHash, randomBytes } from 'node:crypto';
import { CopyClient, WholeBody, requestHead, type CopyDispatcher, type CopyHandler } from '../../src/mirror/copy-client.js';
import { DoppelError } from '../../src/core/errors.js';
import { deadPort, sleep } from '../helpers/servers.js';
import { cleanup } from '../helpers/cleanup.js';

const c = cleanup();

/** What one exchange saw. */
interface Seen {
  status: number;
  headers: string[];
  body: string;
  error: Error | null;
  settles: number;
}

class Recorder implements CopyHandler {
  readonly seen: Seen = { status: 0, headers: [], body: '', error: null, settles: 0 };
  abort: ((err?: Error) => void) | null = null;
  private resolve!: (s: Seen) => void;
  readonly done = new Promise<Seen>((r) => (this.resolve = r));
  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
  }
  onHeaders(status: number, raw: string[]): boolean {
    this.seen.status = status;
    this.seen.headers = raw;
    return true;
  }
  onData(chunk: Buffer): boolean {
    this.seen.body += chunk.toString('latin1');
    return true;
  }
  onComplete(): void {
    this.seen.settles++;
    this.resolve(this.seen);
  }
  onError(err: Error): void {
    this.seen.error = err;
    this.seen.settles++;
    this.resolve(this.seen);
  }
}

/**
 * A raw TCP server: per connection, once `expect` request heads have arrived, `answer`
 * gets the socket and the connection's index.
 */
async function rawServer(expect: number, answer: (sock: net.Socket, conn: number, heads: string[]) => void | Promise<void>) {
  let conns = 0;
  const heads: string[][] = [];
  const server = net.createServer((sock) => {
    const n = conns++;
    let buf = '';
    let answered = false;
    heads[n] = [];
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let e: number;
      while ((e = buf.indexOf('\r\n\r\n')) !== -1) {
        heads[n].push(buf.slice(0, e));
        buf = buf.slice(e + 4);
      }
      if (!answered && heads[n].length >= expect) {
        answered = true;
        void answer(sock, n, heads[n]);
      }
    });
    sock.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  c.add(() => new Promise((r) => server.close(r)));
  return { origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, heads, connections: () => conns };
}

function client(origin: string, opts: Partial<{ pipelining: number; keepAlive: number }> = {}) {
  const fallback = new Pool(origin);
  const cl = new CopyClient(origin, { pipelining: opts.pipelining ?? 8, connectTimeout: 2_000, keepAlive: opts.keepAlive ?? 4_000 }, fallback);
  c.add(() => cl.destroy());
  return cl;
}

const get = (path: string, method = 'GET') => ({ method: method as 'GET', path, headers: ['host', 'example', 'x-mirrored-from', 'api'] });
const send = (cl: CopyClient, path: string, method = 'GET') => {
  const r = new Recorder();
  cl.dispatch(get(path, method), r as never);
  return r;
};

// Six pipelined answers covering the framings: Content-Length, chunked with an extension
// and a trailer, 204, 304 with a length but no body, a 100 before a 200, HEAD with a length.
const SCRIPT =
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello' +
  'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n' +
  'HTTP/1.1 204 No Content\r\n\r\n' +
  'HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n' +
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\nok' +
  'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n';
const EXPECTED = [
  [200, 'hello'],
  [201, 'abc0123456789'],
  [204, ''],
  [304, ''],
  [202, 'ok'],
  [200, ''],
];

test('pipelined answers of every framing are read right wherever the bytes are split', async () => {
  const bytes = Buffer.from(SCRIPT, 'latin1');
  // Split points: every byte of the first 120 and a spread over the rest.
  const splits = [...Array.from({ length: 120 }, (_, i) => i + 1), ...Array.from({ length: 12 }, (_, i) => 120 + Math.floor(((bytes.length - 121) * (i + 1)) / 12))];
  let next = 0;
  const srv = await rawServer(6, async (sock) => {
    const k = splits[next++];
    sock.write(bytes.subarray(0, k));
    await sleep(2);
    sock.write(bytes.subarray(k));
  });
  for (let round = 0; round < splits.length; round++) {
    const cl = client(srv.origin);
    const rs = ['/a', '/b', '/c', '/d', '/e', '/f'].map((p, i) => send(cl, p, i === 5 ? 'HEAD' : 'GET'));
    const seen = await Promise.all(rs.map((r) => r.done));
    assert.deepEqual(
      seen.map((s) => [s.status, s.body]),
      EXPECTED,
      `split at ${splits[round]}`,
    );
    for (const s of seen) assert.equal(s.error, null);
    assert.deepEqual(seen[0].headers, ['Content-Length', '5', 'X-A', '1']);
    await cl.destroy();
  }
  // Every round's six requests left in one write and arrived in order.
  assert.deepEqual(srv.heads[0].map((h) => h.split('\r\n')[0]), ['GET /a HTTP/1.1', 'GET /b HTTP/1.1', 'GET /c HTTP/1.1', 'GET /d HTTP/1.1', 'GET /e HTTP/1.1', 'HEAD /f HTTP/1.1']);
  assert.ok(srv.heads[0][0].includes('\r\nhost: example\r\nx-mirrored-from: api'));
});

test('body chunks a handler keeps stay its own after later reads: it is handed copies', async () => {
  // Three answers in three reads: the client reads every one into the same buffer.
  const bodies = ['a', 'b', 'c'].map((ch) => ch.repeat(3000));
  const srv = await rawServer(3, async (sock) => {
    for (const b of bodies) {
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${b.length}\r\n\r\n${b}`);
      await sleep(20);
    }
  });
  class Keeper extends Recorder {
    readonly keepsData = true;
    readonly chunks: Buffer[] = [];
    override onData(chunk: Buffer): boolean {
      this.chunks.push(chunk);
      return super.onData(chunk);
    }
  }
  const cl = client(srv.origin);
  const keepers = ['/k1', '/k2', '/k3'].map((p) => {
    const k = new Keeper();
    cl.dispatch(get(p), k as never);
    return k;
  });
  const seen = await Promise.all(keepers.map((k) => k.done));
  assert.deepEqual(seen.map((s) => s.body), bodies);
  // What each kept is still its own answer after the later reads.
  assert.deepEqual(keepers.map((k) => Buffer.concat(k.chunks).toString('latin1')), bodies);
  assert.ok(keepers.every((k) => k.chunks.every((ch) => ch.buffer.byteLength < 64 * 1024)), 'kept chunks are copies, not views of the read buffer');
});

test('an answer with Connection: close ends the connection; the copies behind it are sent once more', async () => {
  const srv = await rawServer(1, (sock, conn, heads) => {
    if (conn === 0) sock.end(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi`);
    // The copies resent arrive together; answer them all.
    else setTimeout(() => sock.write(heads.map(() => 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes').join('')), 30);
  });
  const cl = client(srv.origin);
  const rs = ['/1', '/2', '/3'].map((p) => send(cl, p));
  const seen = await Promise.all(rs.map((r) => r.done));
  assert.deepEqual(
    seen.map((s) => [s.status, s.body, s.settles, s.error]),
    [
      [200, 'hi', 1, null],
      [200, 'yes', 1, null],
      [200, 'yes', 1, null],
    ],
  );
  assert.equal(srv.connections(), 2);
});

test('a body read until the connection closes ends with it', async () => {
  const srv = await rawServer(1, (sock) => void sock.end('HTTP/1.1 200 OK\r\n\r\nall of it'));
  const cl = client(srv.origin);
  const s = await send(cl, '/u').done;
  assert.deepEqual([s.status, s.body, s.error], [200, 'all of it', null]);
});

test('a malformed answer fails the exchange it belongs to, the process goes on', async () => {
  for (const bad of ['HTTP/2 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'HTTP/1.1 200 OK\r\n folded: line\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HTTP/1.1 101 Switching\r\n\r\n']) {
    const srv = await rawServer(1, (sock) => void sock.write(bad));
    const cl = client(srv.origin);
    const s = await send(cl, '/m').done;
    assert.ok(s.error instanceof DoppelError, `${JSON.stringify(bad)}: ${s.error}`);
    assert.equal(s.error.code, 'DOPPEL_ERR_MIRROR_FAILED');
    assert.equal(s.settles, 1);
  }
});

test('a target that is down fails every copy with its connect error, without retrying', async () => {
  const cl = client(`http://127.0.0.1:${await deadPort()}`);
  const seen = await Promise.all([send(cl, '/x'), send(cl, '/y')].map((r) => r.done));
  for (const s of seen) {
    assert.equal((s.error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal(s.settles, 1);
  }
});

test('aborting a written copy ends its connection; the copies behind it go out again', async () => {
  const srv = await rawServer(2, (sock, conn, heads) => {
    // The first connection never answers; later ones answer everything.
    if (conn > 0) sock.write(heads.map(() => 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nk').join(''));
  });
  const cl = client(srv.origin);
  const stuck = send(cl, '/stuck');
  const behind = send(cl, '/behind');
  await sleep(50);
  const why = new DoppelError('DOPPEL_ERR_MIRROR_TIMEOUT', 'too slow');
  stuck.abort!(why);
  const a = await stuck.done;
  assert.equal(a.error, why);
  // Its connection is gone; the copy behind it is resent on a fresh one (with nothing ahead of it the server waits for two heads).
  send(cl, '/third');
  const b = await behind.done;
  assert.deepEqual([b.status, b.body, b.error], [200, 'k', null]);
  assert.equal(a.settles, 1);
});

test('copies with a streamed body or a bodiless other method go to the fallback pool; invalid heads are refused before anything is sent', async () => {
  const srv = await rawServer(1, (sock, _n, heads) => {
    const len = Number(/content-length: (\d+)/i.exec(heads[0])?.[1] ?? 0);
    setTimeout(() => sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${String(len).length}\r\n\r\n${len}`), 20);
  });
  const cl = client(srv.origin);
  const r = new Recorder();
  // A body that is not a WholeBody (a buffer here, a stream in the proxy) is undici's.
  cl.dispatch({ method: 'POST', path: '/p', headers: ['host', 'h', 'content-length', '3'], body: Buffer.from('abc') }, r as never);
  const s = await r.done;
  assert.deepEqual([s.status, s.body], [200, '3']);
  // A bodiless DELETE is not pipelined by this client either: the fallback (undici) sends it.
  const d = new Recorder();
  cl.dispatch({ method: 'DELETE', path: '/d', headers: ['host', 'h'] }, d as never);
  assert.equal((await d.done).status, 200);
  assert.match(srv.heads[1][0], /^DELETE \/d HTTP\/1.1\r\n/);
  assert.match(srv.heads[1][0], /\r\nhost: h/);
  assert.throws(() => cl.dispatch(get('/bad path'), new Recorder() as never), /invalid request path/);
  assert.throws(() => requestHead({ method: 'GET', path: '/', headers: ['x-a', 'v\r\ninjected: 1'] }), /invalid header/);
  assert.throws(() => requestHead({ method: 'GET', path: '/', headers: ['bad name', 'v'] }), /invalid header/);
});

test('idle connections close after the keep-alive time; close() waits for copies under way', async () => {
  let closed = 0;
  const srv = await rawServer(1, async (sock) => {
    sock.on('close', () => closed++);
    await sleep(100);
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  const cl = client(srv.origin, { keepAlive: 300 });
  assert.equal((await send(cl, '/1').done).status, 200);
  const t0 = Date.now();
  while (closed === 0 && Date.now() - t0 < 3_000) await sleep(20);
  assert.equal(closed, 1, 'the idle connection was closed');

  const inFlight = send(cl, '/2');
  await sleep(10);
  await cl.close();
  assert.equal((await inFlight.done).status, 200);
  assert.throws(() => cl.dispatch(get('/3'), new Recorder() as never), /closed/);
});

/**
 * An HTTP/1.1 server on raw sockets that reads each request with its Content-Length body
 * and hands it to `answer` (with the connection's index), which writes what it likes.
 */
async function bodyServer(answer: (sock: net.Socket, conn: number, req: { head: string; body: Buffer }) => void) {
  let conns = 0;
  const requests: { conn: number; head: string; body: Buffer }[] = [];
  const server = net.createServer((sock) => {
    const n = conns++;
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const e = buf.indexOf('\r\n\r\n');
        if (e === -1) return;
        const head = buf.toString('latin1', 0, e);
        const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < e + 4 + len) return;
        const req = { conn: n, head, body: buf.subarray(e + 4, e + 4 + len) };
        buf = buf.subarray(e + 4 + len);
        requests.push(req);
        answer(sock, n, req);
      }
    });
    sock.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  c.add(() => new Promise((r) => server.close(r)));
  return { origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests, connections: () => conns };
}

/** A lean client whose fallback fails the test when used. */
function leanOnly(origin: string) {
  const refuse: CopyDispatcher = {
    dispatch: () => assert.fail('the fallback pool was used'),
    close: async () => {},
    destroy: async () => {},
  };
  const cl = new CopyClient(origin, { pipelining: 8, connectTimeout: 2_000, keepAlive: 4_000 }, refuse);
  c.add(() => cl.destroy());
  return cl;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a copy whose whole body is in memory goes out on a lean connection with its own Content-Length', async () => {
  const srv = await bodyServer((sock, _n, req) => sock.write(`HTTP/1.1 201 Created\r\nContent-Length: ${String(req.body.length).length}\r\n\r\n${req.body.length}`));
  const cl = leanOnly(srv.origin);
  const payload = randomBytes(200_000);
  const whole = new WholeBody(payload);
  const r = new Recorder();
  // A Content-Length among the headers is replaced by the body's own.
  cl.dispatch({ method: 'PUT', path: '/items/7?x=1', headers: ['host', 'h', 'content-length', '5', 'content-type', 'application/octet-stream'], body: whole as never }, r as never);
  assert.equal(whole.take(), null, 'the client took the buffer');
  const s = await r.done;
  assert.deepEqual([s.status, s.body, s.error], [201, '200000', null]);
  const [req] = srv.requests;
  assert.match(req.head, /^PUT \/items\/7\?x=1 HTTP\/1\.1\r\n/);
  assert.deepEqual(req.head.match(/content-length: *\d+/gi), ['content-length: 200000']);
  assert.match(req.head, /\r\ncontent-type: application\/octet-stream/);
  assert.equal(sha(req.body), sha(payload));
  // An empty body still states its length.
  const e = new Recorder();
  cl.dispatch({ method: 'POST', path: '/empty', headers: ['host', 'h'], body: new WholeBody(Buffer.alloc(0)) as never }, e as never);
  assert.equal((await e.done).status, 201);
  assert.match(srv.requests[1].head, /\r\ncontent-length: 0$/);
});

test('requests with a body are not pipelined, and nothing is queued behind them until they are answered', async () => {
  const held: net.Socket[] = [];
  const srv = await bodyServer((sock, _n, req) => {
    if (req.head.startsWith('POST')) held.push(sock);
    else sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ng');
  });
  const cl = leanOnly(srv.origin);
  const posts = ['/a', '/b'].map((p) => {
    const r = new Recorder();
    cl.dispatch({ method: 'POST', path: p, headers: ['host', 'h'], body: new WholeBody(Buffer.from(p)) as never }, r as never);
    return r;
  });
  const g = send(cl, '/g');
  assert.equal((await g.done).status, 200);
  // Each POST had a connection of its own, and the GET went on a third.
  while (held.length < 2) await sleep(5);
  assert.equal(srv.connections(), 3);
  assert.deepEqual(new Set(srv.requests.map((q) => q.conn)).size, 3);
  for (const sock of held) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\np');
  for (const r of posts) assert.deepEqual([(await r.done).status, (await r.done).body], [200, 'p']);
  // Answered, a connection takes pipelined GETs again.
  const more = await Promise.all(['/1', '/2', '/3'].map((p) => send(cl, p).done));
  assert.ok(more.every((m) => m.status === 200));
  assert.equal(srv.connections(), 3);
});

test('a GET copy with a body goes alone on its connection, and its body arrives whole', async () => {
  const srv = await bodyServer((sock, _n, req) => sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${String(req.body.length).length}\r\n\r\n${req.body.length}`));
  const cl = leanOnly(srv.origin);
  const payload = randomBytes(5_000);
  const r = new Recorder();
  // A search-style GET with a body, then bodiless GETs in the same turn of the event loop.
  cl.dispatch({ method: 'GET', path: '/_search', headers: ['host', 'h'], body: new WholeBody(payload) as never }, r as never);
  const others = ['/1', '/2'].map((p) => send(cl, p));
  assert.deepEqual([(await r.done).status, (await r.done).body], [200, '5000']);
  for (const o of others) assert.deepEqual([(await o.done).status, (await o.done).body], [200, '0']);
  const search = srv.requests.find((q) => q.head.startsWith('GET /_search'))!;
  assert.equal(sha(search.body), sha(payload));
  assert.ok(srv.requests.filter((q) => q.conn === search.conn).length === 1, 'nothing shared its connection while it was under way');
});

test('a written request with a body whose connection closes unanswered fails and is not sent again', async () => {
  const srv = await bodyServer((sock, _n, req) => {
    if (req.head.startsWith('POST')) sock.destroy();
    else sock.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  const cl = leanOnly(srv.origin);
  const r = new Recorder();
  cl.dispatch({ method: 'POST', path: '/once', headers: ['host', 'h'], body: new WholeBody(randomBytes(1000)) as never }, r as never);
  const s = await r.done;
  assert.ok(s.error instanceof DoppelError, String(s.error));
  assert.equal(s.settles, 1);
  // The client goes on (a GET still gets through), and the POST reached the target once.
  assert.equal((await send(cl, '/after').done).status, 200);
  assert.equal(srv.requests.filter((q) => q.head.startsWith('POST')).length, 1);
});

test('a whole body is handed over once: taken by the lean client or read by undici as an iterable', async () => {
  const w = new WholeBody(Buffer.from('xyz'));
  const chunks: Buffer[] = [];
  for await (const ch of w) chunks.push(ch);
  assert.deepEqual(Buffer.concat(chunks).toString(), 'xyz');
  assert.equal(w.take(), null);
  for await (const ch of w) assert.fail(`read again: ${ch.toString()}`);
});
