/** Batched writes of pipelined copy connections, against a real HTTP server on port 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Pool, buildConnector } from 'undici';
import { batchingConnector, batchWrites } from '../../src/primary/connector.js';
import { cleanup } from '../helpers/cleanup.js';

const { add, upstream } = cleanup();

/** A recording upstream that answers `ok`, and the number of connections it accepted. */
async function okServer() {
  const up = await upstream((_req, res) => res.end('ok'));
  const state = { up, connections: 0 };
  up.server.on('connection', () => state.connections++);
  return state;
}

/**
 * Wraps a connector so that every write the stream hands to the socket's handle (one
 * `_write` or `_writev` call, one system call) is recorded with the requests it carries.
 */
function recording(connector: buildConnector.connector, writes: number[]): buildConnector.connector {
  return (options, callback) =>
    connector(options, (...args) => {
      const socket = args[1] as (net.Socket & Record<string, unknown>) | null;
      if (socket !== null) {
        const count = (data: unknown) => String(data).split(' HTTP/1.1').length - 1;
        const single = socket._write as (c: unknown, e: unknown, cb: unknown) => void;
        const many = socket._writev as (cs: { chunk: unknown }[], cb: unknown) => void;
        socket._write = (c: unknown, e: unknown, cb: unknown) => (writes.push(count(c)), single.call(socket, c, e, cb));
        socket._writev = (cs: { chunk: unknown }[], cb: unknown) => (writes.push(count(cs.map((x) => String(x.chunk)).join(''))), many.call(socket, cs, cb));
      }
      callback(...args);
    });
}

/** Four GETs dispatched in one turn on a pool with one open, idle connection. */
async function fourInOneTurn(connect: buildConnector.connector): Promise<number[]> {
  const srv = await okServer();
  const writes: number[] = [];
  // One connection, so that undici's check of an idle socket (one turn) opens no others.
  const pool = new Pool(srv.up.url, { connections: 1, pipelining: 4, connect: recording(connect, writes) });
  add(() => pool.destroy());
  await pool.request({ method: 'GET', path: '/warm' }).then((r) => r.body.text());
  writes.length = 0;
  const answers = await Promise.all([1, 2, 3, 4].map((i) => pool.request({ method: 'GET', path: `/${i}`, blocking: false }).then((r) => r.body.text())));
  assert.deepEqual(answers, ['ok', 'ok', 'ok', 'ok']);
  assert.equal(srv.up.received.length, 5);
  assert.equal(srv.connections, 1);
  return writes;
}

test('GETs dispatched in one turn leave a pipelined connection in one write', async () => {
  const writes = await fourInOneTurn(batchingConnector(5_000));
  assert.deepEqual(writes, [4]);
});

test('without batching the same requests take one write each', async () => {
  const writes = await fourInOneTurn(buildConnector({ timeout: 5_000 }));
  assert.deepEqual(writes, [1, 1, 1, 1]);
});

test('a batched socket writes again in later turns, and a destroyed one is left alone', async () => {
  const srv = await okServer();
  const socket = net.connect(srv.up.port, '127.0.0.1');
  await once(socket, 'connect');
  batchWrites(socket);
  socket.write('GET /a HTTP/1.1\r\nhost: x\r\n\r\n');
  socket.write('GET /b HTTP/1.1\r\nhost: x\r\n\r\n');
  assert.equal(socket.writableCorked, 1, 'held until the turn ends');
  await new Promise((r) => setImmediate(r));
  assert.equal(socket.writableCorked, 0);
  socket.write('GET /c HTTP/1.1\r\nhost: x\r\n\r\n');
  assert.equal(socket.writableCorked, 1);
  await new Promise((r) => setImmediate(r));
  await srv.up.waitFor(3);
  assert.equal(srv.up.received.length, 3);
  socket.write('GET /d HTTP/1.1\r\nhost: x\r\n\r\n');
  socket.destroy();
  await new Promise((r) => setImmediate(r));
  assert.equal(socket.destroyed, true);
});
