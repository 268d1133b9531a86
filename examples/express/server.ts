/**
 * Express app that mirrors its /api traffic to a staging copy and serves doppel's
 * metrics next to its own. Run: `node --import tsx examples/express/server.ts`
 * (MIRROR_URL sets the target, PORT the port).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { Registry } from 'prom-client';
// In an app: import { mirror, metricsHandler } from 'doppel/express';
import { mirror, metricsHandler } from '../../src/adapters/express.js';

export async function start(port = 3000, mirrorUrl = process.env.MIRROR_URL ?? 'http://127.0.0.1:3001') {
  const register = new Registry();
  const copy = mirror({ targets: [mirrorUrl], register, onError: (target, err) => console.warn(`mirror ${target}: ${err.code}`) });
  const app = express();
  app.use('/api', copy); // before the body parsers: bodies are copied byte for byte
  app.use(express.json());
  app.post('/api/orders', (req, res) => void res.status(201).json({ id: 1, items: req.body.items ?? [] }));
  app.get('/api/orders/:id', (req, res) => void res.json({ id: Number(req.params.id), status: 'shipped' }));
  app.get('/metrics', metricsHandler(register));
  const server = http.createServer(app).listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
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
