/**
 * Fastify app that mirrors its /api routes to a staging copy. Run:
 * `node --import tsx examples/fastify/server.ts` (MIRROR_URL sets the target, PORT the port).
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
// In an app: import { mirror, metricsHandler } from 'doppel/fastify';
import { mirror, metricsHandler } from '../../src/adapters/fastify.js';

export async function start(port = 3000, mirrorUrl = process.env.MIRROR_URL ?? 'http://127.0.0.1:3001') {
  const register = new Registry();
  const app = Fastify();
  // Only routes under /api are mirrored.
  await app.register(mirror({ targets: [mirrorUrl], register }), { prefix: '/api' });
  app.post('/api/orders', async (req, reply) => reply.code(201).send({ id: 1, items: (req.body as { items?: unknown[] }).items ?? [] }));
  app.get('/api/orders/:id', async (req) => ({ id: Number((req.params as { id: string }).id), status: 'shipped' }));
  app.get('/metrics', metricsHandler(register));
  await app.listen({ port, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await start(Number(process.env.PORT ?? 3000));
  console.log(`listening on ${url}, mirroring /api to ${process.env.MIRROR_URL ?? 'http://127.0.0.1:3001'}`);
}
