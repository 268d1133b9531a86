/** Real clients for tests: a doppel instance in front of upstreams, node:http and raw sockets. */
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { startDoppel, type DoppelInstance, type StartOptions } from '../../src/app.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/core/logger.js';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface Doppel {
  app: DoppelInstance;
  /** `http://127.0.0.1:port` of the proxy. */
  base: string;
  port: number;
  /** `http://127.0.0.1:port` of the admin server, or ''. */
  admin: string;
}

/** Starts doppel with a silent logger. The caller closes `app`. */
export async function startProxy(cfg: ResolvedConfig, options: StartOptions = {}): Promise<Doppel> {
  const app = await startDoppel(cfg, { logger: createLogger('silent'), ...options });
  return {
    app,
    base: `http://127.0.0.1:${app.address.port}`,
    port: app.address.port,
    admin: app.adminAddress ? `http://127.0.0.1:${app.adminAddress.port}` : '',
  };
}

export interface Served {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

/** A plain node:http server on a free loopback port, for upstreams that need their own request handling. */
export function serve(handler: http.RequestListener): Promise<Served> {
  const server = http.createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const close = (): Promise<void> =>
        new Promise((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
      resolve({ url: `http://127.0.0.1:${port}`, port, server, close });
    });
  });
}

export interface Reply {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  sha256: string;
}

export interface SendOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders | string[];
  /** A buffer is sent with Content-Length; an async iterable is sent chunked. */
  body?: Buffer | string | AsyncIterable<Buffer | string>;
  agent?: http.Agent | false;
  /** Largest response head accepted (node's default is 16 KiB). */
  maxHeaderSize?: number;
}

/** Sends one request with node:http and reads the whole answer (no decoding). */
export function send(base: string, path: string, opts: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { method: opts.method ?? 'GET', headers: opts.headers as http.OutgoingHttpHeaders, agent: opts.agent ?? false, maxHeaderSize: opts.maxHeaderSize }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, statusMessage: res.statusMessage ?? '', headers: res.headers, rawHeaders: res.rawHeaders, body, sha256: sha256(body) });
      });
    });
    req.on('error', reject);
    const body = opts.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return void req.end(body);
    void (async () => {
      for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      req.end();
    })().catch((err) => req.destroy(err as Error));
  });
}

/** Connects a raw TCP socket to `port` on loopback. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `data` on a fresh socket and reads until the peer closes it (or `ms` pass). */
export async function rawExchange(port: number, data: string | Buffer, ms = 5_000): Promise<string> {
  const s = await connect(port);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`socket still open after ${ms} ms; got ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, ms);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.write(data);
  });
}

/** Decodes a complete chunked body (extensions and trailers ignored). */
export function dechunk(text: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', i);
    if (eol === -1) return out;
    const size = parseInt(text.slice(i, eol), 16);
    if (!(size > 0)) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}

/** Status line, lower-cased headers and (de-chunked) body of a raw HTTP/1.1 response text. */
export function parseHead(text: string): { status: number; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, end === -1 ? text.length : end).split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  const body = end === -1 ? '' : text.slice(end + 4);
  return { status, headers, body: headers['transfer-encoding'] === 'chunked' ? dechunk(body) : body };
}

/** A sample of a Prometheus text exposition, matched by name and (a subset of) labels; 0 when absent. */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const close = line.lastIndexOf('}');
    const labelText = close === -1 ? '' : line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) return Number(line.slice(close + 1).trim());
  }
  return 0;
}

/** Scrapes `/metrics` of an admin server. */
export async function scrape(admin: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${admin}/metrics`, { headers });
  return res.text();
}
