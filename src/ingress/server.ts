/**
 * The client-facing HTTP server: node:http with limits suited to a proxy, malformed
 * requests answered with a typed 4xx, and upgrades passed to the primary.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DoppelProxy } from '../core/proxy.js';
import type { TimeoutSpec } from '../config/types.js';
import { ERRORS } from '../core/errors.js';
import { handleUpgrade } from './upgrade.js';

function clientErrorResponse(code: 'DOPPEL_ERR_BAD_REQUEST' | 'DOPPEL_ERR_REQUEST_TIMEOUT', status: number): string {
  const body = JSON.stringify({ error: code, message: ERRORS[code].message });
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-doppel-error: ${code}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * The proxy's HTTP server. Upgraded connections (WebSocket tunnels) leave node:http's
 * connection tracking, so they are tracked here and `closeAllConnections()` ends them too.
 */
export class ProxyServer extends http.Server {
  /** Client sockets joined to an upstream after a `101`. */
  readonly tunnels = new Set<Duplex>();

  override closeAllConnections(): void {
    super.closeAllConnections();
    for (const socket of this.tunnels) socket.destroy();
    this.tunnels.clear();
  }
}

/**
 * Creates the proxy's HTTP server around a {@link DoppelProxy}.
 *
 * @example
 * ```ts
 * const server = createProxyServer(proxy, config.timeouts);
 * server.listen(8080, '127.0.0.1');
 * ```
 */
export function createProxyServer(proxy: DoppelProxy, timeouts: TimeoutSpec): ProxyServer {
  const server = new ProxyServer(
    {
      // Uploads stream for as long as they take; only the header phase is bounded.
      requestTimeout: 0,
      headersTimeout: timeouts.clientHeaders,
      // node checks the headers timeout on this interval (30 s by default, which would let a
      // slow client keep a connection for that much longer than `clientHeaders`).
      connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.floor(timeouts.clientHeaders / 10))),
      keepAliveTimeout: 5_000,
      // Keep-alive connections are reused for many requests; never cap them.
      maxHeaderSize: 64 * 1024,
    },
    (req, res) => proxy.handle(req, res),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET' && socket.bytesWritten === 0)) return void socket.destroy();
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    socket.end(timeout ? clientErrorResponse('DOPPEL_ERR_REQUEST_TIMEOUT', 408) : clientErrorResponse('DOPPEL_ERR_BAD_REQUEST', tooLarge ? 431 : 400));
  });
  // A reverse proxy opens no tunnels to arbitrary hosts.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(clientErrorResponse('DOPPEL_ERR_BAD_REQUEST', 400));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(proxy, req, socket, head, server.tunnels));
  return server;
}
