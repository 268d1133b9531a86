/**
 * Upgrade requests (WebSocket) pass through to the primary and are never copied: the
 * handshake is forwarded with node:http, and after a `101` the two sockets are joined.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { DoppelError } from '../core/errors.js';
import type { RouteTable } from '../routing/table.js';
import { hostOnly } from '../routing/match.js';
import { rawHeader } from '../core/headers.js';

function writeHead(socket: Duplex, status: number, message: string, raw: string[]): void {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  socket.write(`${head}\r\n`);
}

function refuse(socket: Duplex, err: DoppelError): void {
  const body = JSON.stringify({ error: err.code, message: err.message });
  const status = err.status >= 400 ? err.status : 502;
  writeHead(socket, status, http.STATUS_CODES[status] ?? 'Error', ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)), 'x-doppel-error', err.code, 'connection', 'close']);
  socket.end(body);
}

/**
 * Forwards an upgrade request to the route's primary.
 *
 * @example
 * ```ts
 * server.on('upgrade', (req, socket, head) => handleUpgrade(table, req, socket, head));
 * ```
 */
export function handleUpgrade(table: RouteTable, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const raw = req.rawHeaders;
  const route = table.match({ method: req.method ?? 'GET', host: hostOnly(rawHeader(raw, 'host')), path, header: (n) => rawHeader(raw, n) });
  if (!route) return refuse(socket, new DoppelError('DOPPEL_ERR_NO_ROUTE'));
  const target = new URL(route.primaryOrigin);
  const headers: string[] = [...raw, 'x-forwarded-for', req.socket.remoteAddress ?? ''];
  const upstream = (target.protocol === 'https:' ? https : http).request({
    host: target.hostname,
    port: target.port || (target.protocol === 'https:' ? 443 : 80),
    method: req.method,
    path: route.primaryPath(path) + (q === -1 ? '' : url.slice(q)),
    headers: headers as unknown as http.OutgoingHttpHeaders,
    setHost: false,
  });
  upstream.on('upgrade', (res, upSocket, upHead) => {
    writeHead(socket, res.statusCode ?? 101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders);
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.on('error', () => socket.destroy());
    socket.on('close', () => upSocket.destroy());
    upSocket.on('close', () => socket.destroy());
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });
  upstream.on('response', (res) => {
    writeHead(socket, res.statusCode ?? 502, res.statusMessage ?? '', res.rawHeaders);
    res.pipe(socket);
  });
  upstream.on('error', (err) => refuse(socket, new DoppelError('DOPPEL_ERR_UPSTREAM_CONNECT', err.message)));
  upstream.end();
}
