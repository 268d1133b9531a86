/**
 * Plain node:http server whose every request is mirrored to a staging copy. Run:
 * `node --import tsx examples/node-http/server.ts` (MIRROR_URL sets the target, PORT the port).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
// In an app: import { withMirror, metricsHandler } from 'doppel/node';
import { withMirror, metricsHandler } from '../../src/adapters/node.js';

function app(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, bytes: Buffer.concat(chunks).length }));
  });
}

export async function start(port = 3000, mirrorUrl = process.env.MIRROR_URL ?? 'http://127.0.0.1:3001') {
  const register = new Registry();
  const metrics = metricsHandler(register);
  const handler = withMirror(app, { targets: [mirrorUrl], register });
  const server = http.createServer((req, res) => (req.url === '/metrics' ? metrics(req, res) : handler(req, res)));
  server.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((r) => server.close(r));
      await handler.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await start(Number(process.env.PORT ?? 3000));
  console.log(`listening on ${url}, mirroring to ${process.env.MIRROR_URL ?? 'http://127.0.0.1:3001'}`);
}
