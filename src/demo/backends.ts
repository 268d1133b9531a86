/**
 * Sample backends for the demo: version 1 and version 2 of a small JSON API. Version 2
 * has a few deliberate differences (a changed field for some users, an extra field, a
 * reordered list) and both have the usual noise (timestamps, request ids).
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';

export type ApiVersion = 'v1' | 'v2';

const NAMES = ['Ada', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances', 'Edsger', 'Radia'];

function user(id: number, version: ApiVersion) {
  const base = {
    id,
    name: `${NAMES[id % NAMES.length]} ${id}`,
    email: `user${id}@example.com`,
    plan: id % 3 === 0 ? 'pro' : 'free',
    tags: ['beta', id % 2 === 0 ? 'even' : 'odd'],
    updatedAt: new Date(Date.now() - Math.floor(Math.random() * 86_400_000)).toISOString(),
    requestId: randomUUID(),
  };
  if (version === 'v1') return base;
  // v2: users whose id ends in 7 get a different plan (a regression); every user gets a locale (an extra field).
  return { ...base, plan: id % 10 === 7 ? 'business' : base.plan, locale: 'en' };
}

function send(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': randomUUID() });
  res.end(body);
}

/** Handles one request of the sample API. */
export function sampleApi(version: ApiVersion): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sample');
      const parts = url.pathname.split('/').filter(Boolean);
      if (url.pathname === '/health') return send(res, 200, { status: 'ok', version });
      if (parts[0] === 'api' && parts[1] === 'users' && parts.length === 3 && req.method === 'GET') {
        const id = Number(parts[2]);
        if (!Number.isInteger(id) || id <= 0) return send(res, 404, { error: 'no such user' });
        return send(res, 200, user(id, version));
      }
      if (url.pathname === '/api/users' && req.method === 'GET') {
        const limit = Math.min(50, Number(url.searchParams.get('limit') ?? 5));
        const items = Array.from({ length: limit }, (_, i) => user(i + 1, version));
        if (version === 'v2') items.reverse();
        return send(res, 200, { items, total: limit, generatedAt: new Date(Date.now() - Math.floor(Math.random() * 60_000)).toISOString() });
      }
      if (url.pathname === '/api/orders' && req.method === 'POST') {
        let order: unknown = null;
        try {
          order = JSON.parse(Buffer.concat(chunks).toString() || 'null');
        } catch {
          return send(res, 400, { error: 'invalid JSON' });
        }
        return send(res, 201, { id: randomUUID(), order, status: 'accepted' });
      }
      send(res, 404, { error: 'not found' });
    });
  };
}

/** Starts a sample backend on loopback; port 0 picks a free port. */
export async function startSampleBackend(version: ApiVersion, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(sampleApi(version));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
