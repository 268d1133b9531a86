/**
 * The same small app built with each framework, with doppel's mirror and/or shadow
 * middleware mounted under a prefix. Routes (under the prefix):
 *   POST /json    parses a JSON body with the framework's parser, answers { parsed }
 *   POST /raw     reads the body as one Buffer, answers { sha256, bytes }
 *   POST /stream  reads the raw body stream chunk by chunk, answers { sha256, bytes }
 *   ALL  /echo/*  answers { ok, method, path } without reading the body
 *   GET  /item/:id answers { id, name, version }
 * and GET /outside/ping outside the prefix.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import type { Registry } from 'prom-client';
import * as nodeA from '../../src/adapters/node.js';
import * as expressA from '../../src/adapters/express.js';
import * as fastifyA from '../../src/adapters/fastify.js';
import * as honoA from '../../src/adapters/hono.js';
import type { MirrorOptions, MirrorTargetInput } from '../../src/middleware/core.js';
import type { ShadowOptions } from '../../src/middleware/shadow.js';
import type { EndpointReport } from '../../src/report/aggregate-types.js';

export type MirrorArgs = [MirrorOptions] | MirrorTargetInput[];

export interface AppOptions {
  mirror?: MirrorArgs;
  shadow?: ShadowOptions;
  /** Mount point of the middleware and the routes (default `/api`). */
  prefix?: string;
  /** Serve this registry at GET /metrics with the adapter's metricsHandler. */
  metrics?: Registry;
  /** Response of /item/:id: name field (default 'Ada'). */
  itemName?: string;
}

export interface RunningApp {
  base: string;
  report(): EndpointReport[];
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface Kit {
  name: string;
  start(options: AppOptions): Promise<RunningApp>;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const item = (id: string, name: string) => ({ id, name, version: 1 });

async function listen(server: http.Server): Promise<string> {
  if (!server.listening) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function stopServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface Parts {
  closeMw: () => Promise<void>;
  report: () => EndpointReport[];
  idle: () => Promise<void>;
}

function finish(server: http.Server, base: string, parts: Parts, extra?: () => Promise<void>): RunningApp {
  return {
    base,
    report: parts.report,
    idle: parts.idle,
    close: async () => {
      await stopServer(server);
      await extra?.();
      await parts.closeMw();
    },
  };
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const node: Kit = {
  name: 'node',
  async start(o) {
    const p = o.prefix ?? '/api';
    const copy = o.mirror ? nodeA.mirror(...o.mirror) : null;
    const tester = o.shadow ? nodeA.shadow(o.shadow) : null;
    const metrics = o.metrics ? nodeA.metricsHandler(o.metrics) : null;
    const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      const path = url.split('?')[0];
      if (path === '/metrics' && metrics) return metrics(req, res);
      if (path.startsWith(`${p}/`)) {
        copy?.(req, res);
        tester?.(req, res);
      }
      const route = path.startsWith(`${p}/`) ? path.slice(p.length) : path;
      void (async () => {
        if (route === '/json') return sendJson(res, 200, { parsed: JSON.parse((await readAll(req)).toString()) });
        if (route === '/raw' || route === '/stream') {
          const body = await readAll(req);
          return sendJson(res, 200, { sha256: sha(body), bytes: body.length });
        }
        if (route.startsWith('/echo/')) return sendJson(res, 200, { ok: true, method: req.method, path: url });
        if (route.startsWith('/item/')) return sendJson(res, 200, item(route.slice(6), o.itemName ?? 'Ada'));
        if (route === '/outside/ping') return sendJson(res, 200, { ok: true });
        sendJson(res, 404, { error: 'not found' });
      })().catch(() => res.destroy());
    });
    const base = await listen(server);
    return finish(server, base, {
      closeMw: async () => {
        await copy?.close();
        await tester?.close();
      },
      report: () => tester?.report() ?? [],
      idle: () => tester?.idle() ?? Promise.resolve(),
    });
  },
};

function expressKit(name: string, express: typeof express5): Kit {
  return {
    name,
    async start(o) {
      const p = o.prefix ?? '/api';
      const app = express();
      const copy = o.mirror ? expressA.mirror(...o.mirror) : null;
      const tester = o.shadow ? expressA.shadow(o.shadow) : null;
      if (copy) app.use(p, copy);
      if (tester) app.use(p, tester);
      if (o.metrics) app.get('/metrics', expressA.metricsHandler(o.metrics));
      const router = express.Router();
      router.post('/json', express.json(), (req, res) => void res.json({ parsed: req.body }));
      router.post('/raw', express.raw({ type: () => true, limit: '10mb' }), (req, res) => void res.json({ sha256: sha(req.body as Buffer), bytes: (req.body as Buffer).length }));
      router.post('/stream', async (req, res) => {
        const body = await readAll(req);
        res.json({ sha256: sha(body), bytes: body.length });
      });
      router.all(/^\/echo\/.*/, (req, res) => void res.json({ ok: true, method: req.method, path: req.originalUrl }));
      router.get('/item/:id', (req, res) => void res.json(item(String(req.params.id), o.itemName ?? 'Ada')));
      app.use(p, router);
      app.get('/outside/ping', (_req, res) => void res.json({ ok: true }));
      const server = http.createServer(app);
      const base = await listen(server);
      return finish(server, base, {
        closeMw: async () => {
          await copy?.close();
          await tester?.close();
        },
        report: () => tester?.report() ?? [],
        idle: () => tester?.idle() ?? Promise.resolve(),
      });
    },
  };
}

const fastify: Kit = {
  name: 'fastify',
  async start(o) {
    const p = o.prefix ?? '/api';
    const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
    const copy = o.mirror ? fastifyA.mirror(...o.mirror) : null;
    const tester = o.shadow ? fastifyA.shadow(o.shadow) : null;
    if (copy) await app.register(copy, { prefix: p });
    if (tester) await app.register(tester, { prefix: p });
    if (o.metrics) app.get('/metrics', fastifyA.metricsHandler(o.metrics));
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.addContentTypeParser('application/x-ndjson', (_req, payload, done) => done(null, payload));
    await app.register(
      async (api) => {
        api.post('/json', async (req) => ({ parsed: req.body }));
        api.post('/raw', async (req) => ({ sha256: sha(req.body as Buffer), bytes: (req.body as Buffer).length }));
        api.post('/stream', async (req) => {
          const body = await readAll(req.body as AsyncIterable<Buffer>);
          return { sha256: sha(body), bytes: body.length };
        });
        api.all('/echo/*', async (req) => ({ ok: true, method: req.method, path: req.url }));
        api.get('/item/:id', async (req) => item((req.params as { id: string }).id, o.itemName ?? 'Ada'));
      },
      { prefix: p },
    );
    app.get('/outside/ping', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const server = app.server;
    const base = await listen(server);
    return finish(server, base, {
      closeMw: async () => {
        await app.close();
      },
      report: () => tester?.report() ?? [],
      idle: () => tester?.idle() ?? Promise.resolve(),
    });
  },
};

const hono: Kit = {
  name: 'hono',
  async start(o) {
    const p = o.prefix ?? '/api';
    const app = new Hono();
    const copy = o.mirror ? honoA.mirror(...o.mirror) : null;
    const tester = o.shadow ? honoA.shadow(o.shadow) : null;
    if (copy) app.use(`${p}/*`, copy);
    if (tester) app.use(`${p}/*`, tester);
    if (o.metrics) app.get('/metrics', honoA.metricsHandler(o.metrics));
    app.post(`${p}/json`, async (c) => c.json({ parsed: await c.req.json() }));
    app.post(`${p}/raw`, async (c) => {
      const body = Buffer.from(await c.req.arrayBuffer());
      return c.json({ sha256: sha(body), bytes: body.length });
    });
    app.post(`${p}/stream`, async (c) => {
      const body = await readAll(c.req.raw.body as unknown as AsyncIterable<Uint8Array>);
      return c.json({ sha256: sha(body), bytes: body.length });
    });
    app.all(`${p}/echo/*`, (c) => {
      const u = new URL(c.req.url);
      return c.json({ ok: true, method: c.req.method, path: u.pathname + u.search });
    });
    app.get(`${p}/item/:id`, (c) => c.json(item(c.req.param('id'), o.itemName ?? 'Ada')));
    app.get('/outside/ping', (c) => c.json({ ok: true }));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
    const base = await listen(server);
    return finish(server, base, {
      closeMw: async () => {
        await copy?.close();
        await tester?.close();
      },
      report: () => tester?.report() ?? [],
      idle: () => tester?.idle() ?? Promise.resolve(),
    });
  },
};

export const kits: Kit[] = [node, expressKit('express5', express5), expressKit('express4', express4 as unknown as typeof express5), fastify, hono];
