/** Real HTTP servers on port 0 that record what they receive. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { once } from 'node:events';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  sha256: string;
  at: number;
}

export interface Upstream {
  url: string;
  port: number;
  received: Received[];
  server: http.Server;
  /** Resolves when `n` requests have been received in all (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export type Responder = (req: IncomingMessage, res: ServerResponse, body: Buffer) => unknown;

const defaultResponder: Responder = (req, res, body) => {
  const payload = JSON.stringify({ method: req.method, url: req.url, bytes: body.length });
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(payload);
};

/** Starts a recording upstream. The responder runs after the whole body was read. */
export async function startUpstream(responder: Responder = defaultResponder): Promise<Upstream> {
  const received: Received[] = [];
  let waiters: { n: number; resolve: (r: Received[]) => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body, sha256: createHash('sha256').update(body).digest('hex'), at: Date.now() });
      waiters = waiters.filter((w) => (received.length >= w.n ? (w.resolve(received), false) : true));
      Promise.resolve(responder(req, res, body)).catch(() => res.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    server,
    waitFor(n, ms = 5_000) {
      if (received.length >= n) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`expected ${n} requests, got ${received.length}`)), ms);
        waiters.push({ n, resolve: (r) => (clearTimeout(t), resolve(r)) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port where nothing listens (bound then released). */
export async function deadPort(): Promise<number> {
  const s = http.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}
