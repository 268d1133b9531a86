/**
 * The admin server (loopback by default): health, readiness, Prometheus metrics and the
 * JSON API. Other stages add their routes with {@link AdminServer.route}.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { DoppelError } from '../core/errors.js';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function sendAdminError(res: ServerResponse, err: DoppelError): void {
  if (res.headersSent) return void res.destroy();
  res.setHeader('x-doppel-error', err.code);
  sendJson(res, err.status || 500, { error: err.code, message: err.message });
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given?.startsWith('Bearer ')) return false;
  const a = Buffer.from(given.slice(7));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A small routed HTTP server for the admin endpoints.
 *
 * @example
 * ```ts
 * const admin = new AdminServer({ token: undefined });
 * admin.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
 * await admin.listen({ host: '127.0.0.1', port: 9090 });
 * ```
 */
export class AdminServer {
  readonly server: http.Server;
  private readonly routes = new Map<string, AdminHandler>();
  private readonly prefixes: { method: string; prefix: string; handler: AdminHandler }[] = [];
  /** Paths served without the token (health checks). */
  private readonly open = new Set(['/healthz', '/readyz']);
  /** Path prefixes served without the token (static files of the dashboard). */
  private readonly openPrefixes: string[] = [];

  constructor(private readonly options: { token?: string }) {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  /** Adds an exact-path route. */
  route(method: string, path: string, handler: AdminHandler): this {
    this.routes.set(`${method} ${path}`, handler);
    return this;
  }

  /** Adds a route for every path under `prefix`. */
  routePrefix(method: string, prefix: string, handler: AdminHandler): this {
    this.prefixes.push({ method, prefix, handler });
    return this;
  }

  /**
   * Serves `path` without the token; a path ending in `/` opens every path under it too
   * (`'/assets/'`). Only for public files such as the dashboard page, never for data.
   */
  allowAnonymous(path: string): this {
    if (path.endsWith('/') && path !== '/') this.openPrefixes.push(path);
    else this.open.add(path);
    return this;
  }

  private isOpen(pathname: string): boolean {
    return this.open.has(pathname) || this.openPrefixes.some((p) => pathname.startsWith(p));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://admin');
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      if (this.options.token && !this.isOpen(url.pathname) && !tokenMatches(req.headers.authorization, this.options.token)) {
        res.setHeader('www-authenticate', 'Bearer realm="doppel"');
        return sendAdminError(res, new DoppelError('DOPPEL_ERR_ADMIN_UNAUTHORIZED'));
      }
      let handler = this.routes.get(`${method} ${url.pathname}`);
      if (!handler) handler = this.prefixes.find((p) => p.method === method && url.pathname.startsWith(p.prefix))?.handler;
      if (!handler) return sendAdminError(res, new DoppelError('DOPPEL_ERR_ADMIN_NOT_FOUND', `no admin resource ${method} ${url.pathname}`));
      await handler(req, res, url);
    } catch (err) {
      sendAdminError(res, err instanceof DoppelError ? err : new DoppelError('DOPPEL_ERR_ADMIN_BAD_REQUEST', String((err as Error)?.message ?? err)));
    }
  }

  /** Starts listening; resolves with the bound address. */
  listen(at: { host: string; port: number }): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(at.port, at.host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as { address: string; port: number };
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
