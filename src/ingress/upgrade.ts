/**
 * Upgrade requests (WebSocket) pass through to the primary and are never copied: the
 * handshake is forwarded with node:http (with the same forwarding headers and loop
 * protection as other requests), and after a `101` the two sockets are joined.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { DoppelError } from '../core/errors.js';
import { originForm, type DoppelProxy } from '../core/proxy.js';
import { hostOnly } from '../routing/match.js';
import { forwardRequestHeaders, forwardResponseHeaders, rawHeader, rawHeaderIncludes } from '../core/headers.js';

function writeHead(socket: Duplex, status: number, message: string, raw: string[]): void {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  socket.write(`${head}\r\n`);
}

function refuse(socket: Duplex, err: DoppelError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: err.code, message: err.message });
  const status = err.status >= 400 ? err.status : 502;
  writeHead(socket, status, http.STATUS_CODES[status] ?? 'Error', ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)), 'x-doppel-error', err.code, 'connection', 'close']);
  socket.end(body);
}

/**
 * Forwards an upgrade request to the route's primary. Joined client sockets are added to
 * `tunnels` until they close, so a shutdown can end them.
 *
 * @example
 * ```ts
 * server.on('upgrade', (req, socket, head) => handleUpgrade(proxy, req, socket, head, tunnels));
 * ```
 */
export function handleUpgrade(proxy: DoppelProxy, req: IncomingMessage, socket: Duplex, head: Buffer, tunnels: Set<Duplex>): void {
  socket.on('error', () => socket.destroy());
  const raw = req.rawHeaders;
  if (proxy.draining) return refuse(socket, new DoppelError('DOPPEL_ERR_SHUTTING_DOWN'));
  if (rawHeaderIncludes(raw, 'via', proxy.instance)) return refuse(socket, new DoppelError('DOPPEL_ERR_LOOP'));
  let url = req.url ?? '/';
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const fwd = forwardRequestHeaders(raw, { clientIp: req.socket.remoteAddress ?? '', proto, via: `1.1 ${proxy.instance}` });
  if (url.charCodeAt(0) !== 0x2f) {
    const origin = originForm(url);
    if (origin === null) return refuse(socket, new DoppelError('DOPPEL_ERR_BAD_REQUEST', 'request target cannot be forwarded'));
    url = origin.path;
    fwd.host = origin.host;
  }
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const route = proxy.routes.match({ method: req.method ?? 'GET', host: hostOnly(fwd.host), path, header: (n) => rawHeader(raw, n) });
  if (!route) return refuse(socket, new DoppelError('DOPPEL_ERR_NO_ROUTE'));
  const target = new URL(route.primaryOrigin);
  // Connection and Upgrade are hop-by-hop, but this hop asks for the same upgrade.
  fwd.headers.push('connection', 'upgrade', 'upgrade', rawHeader(raw, 'upgrade') ?? '', 'host', fwd.host || target.host);
  const upstream = (target.protocol === 'https:' ? https : http).request({
    host: target.hostname,
    port: target.port || (target.protocol === 'https:' ? 443 : 80),
    method: req.method,
    path: route.primaryPath(path) + (q === -1 ? '' : url.slice(q)),
    headers: fwd.headers as unknown as http.OutgoingHttpHeaders,
    setHost: false,
    agent: false,
  });
  // A client that leaves ends the upstream side too, before or after the 101.
  socket.on('close', () => upstream.destroy());
  let answered = false;
  // The handshake's answer is bounded like response headers of other requests.
  const timer = setTimeout(() => upstream.destroy(new DoppelError('DOPPEL_ERR_UPSTREAM_TIMEOUT')), proxy.config.timeouts.primary);
  upstream.on('upgrade', (res, upSocket, upHead) => {
    answered = true;
    clearTimeout(timer);
    writeHead(socket, res.statusCode ?? 101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders);
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    tunnels.add(socket);
    upSocket.on('error', () => socket.destroy());
    socket.on('close', () => {
      tunnels.delete(socket);
      upSocket.destroy();
    });
    upSocket.on('close', () => socket.destroy());
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });
  upstream.on('response', (res) => {
    // No upgrade: pass the answer on and close, since this socket left HTTP parsing. The
    // body is sent decoded, so it is delimited by the close instead of the upstream's framing.
    answered = true;
    clearTimeout(timer);
    const headers = forwardResponseHeaders(res.rawHeaders);
    headers.push('connection', 'close');
    writeHead(socket, res.statusCode ?? 502, res.statusMessage ?? '', headers);
    res.on('error', () => socket.destroy());
    res.pipe(socket);
  });
  upstream.on('error', (err) => {
    clearTimeout(timer);
    if (answered) socket.destroy();
    else refuse(socket, err instanceof DoppelError ? err : new DoppelError('DOPPEL_ERR_UPSTREAM_CONNECT', err.message));
  });
  upstream.end();
}
