/**
 * Hono app on @hono/node-server that mirrors /api/* to a staging copy. Run:
 * `node --import tsx examples/hono/server.ts` (MIRROR_URL sets the target, PORT the port).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
// In an app: import { mirror, metricsHandler } from 'doppel/hono';
import { mirror, metricsHandler } from '../../src/adapters/hono.js';

export async function start(port = 3000, mirrorUrl = process.env.MIRROR_URL ?? 'http://127.0.0.1:3001') {
  const register = new Registry();
  const copy = mirror({ targets: [mirrorUrl], register });
  const app = new Hono();
  app.use('/api/*', copy);
  app.post('/api/orders', async (c) => c.json({ id: 1, items: (await c.req.json<{ items?: unknown[] }>()).items ?? [] }, 201));
  app.get('/api/orders/:id', (c) => c.json({ id: Number(c.req.param('id')), status: 'shipped' }));
  app.get('/metrics', metricsHandler(register));
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }) as Server;
  if (!server.listening) await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((r) => server.close(r));
      await copy.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await start(Number(process.env.PORT ?? 3000));
  console.log(`listening on ${url}, mirroring /api to ${process.env.MIRROR_URL ?? 'http://127.0.0.1:3001'}`);
}
