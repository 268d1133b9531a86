/**
 * `doppel/express`: request mirroring and shadow testing as Connect-compatible middleware
 * for Express 4 and 5.
 *
 * Request bodies: mounted before the body parsers, the middleware observes the body as
 * the parsers (or a handler reading the raw stream) read it, byte for byte. Mounted after
 * a body parser, the stream is already consumed: the copy is rebuilt from `req.body`
 * (Buffers and text as they are, JSON and forms re-serialised, `Content-Encoding`
 * dropped). The full original path is copied (`req.originalUrl`), also under `app.use('/api', ...)`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mirror as nodeMirror, shadow as nodeShadow, type NodeShadowMiddleware } from './node.js';
import type { MirrorEngine, MirrorOptions, MirrorTargetInput } from '../middleware/core.js';
import type { ShadowOptions } from '../middleware/shadow.js';

export { percentage, createMirror, metricsHandler } from './node.js';
export type {
  MirrorEngine, MirrorOptions, MirrorTargetInput, MirrorTargetOptions, MirrorResponse, ShadowEngine, ShadowOptions, ShadowDiff,
  ShadowBackendOptions, NodeShadowMiddleware,
} from './node.js';

/** An Express (4 or 5) middleware: `(req, res, next)`. */
export type ExpressMiddleware<E> = ((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void) & {
  readonly engine: E;
  /** Closes the engine's connection pools (call on shutdown). */
  close(): Promise<void>;
};

/**
 * Mirror middleware for Express 4 and 5. Mount it before the body parsers to copy bodies
 * byte-identical; scope it with a path (`app.use('/api', mirror(...))`) or a router.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { mirror, percentage } from 'doppel/express';
 * const app = express();
 * app.use('/api', mirror({ targets: ['https://staging.example.com', percentage('https://canary.example.com', 5)] }));
 * app.use(express.json());
 * app.post('/api/orders', (req, res) => res.json({ id: 1 }));
 * ```
 */
export function mirror(...args: [MirrorOptions] | MirrorTargetInput[]): ExpressMiddleware<MirrorEngine> {
  return nodeMirror(...args) as ExpressMiddleware<MirrorEngine>;
}

/**
 * Shadow-testing middleware for Express 4 and 5 (see `doppel/node`'s `shadow`).
 *
 * @example
 * ```ts
 * import { shadow } from 'doppel/express';
 * const tester = shadow({ candidate: 'http://127.0.0.1:4000', compare: { ignore: ['$.generatedAt'] } });
 * app.use('/api', tester);
 * app.get('/report', (_req, res) => res.json(tester.report()));
 * ```
 */
export function shadow(options: ShadowOptions): NodeShadowMiddleware & ExpressMiddleware<NodeShadowMiddleware['engine']> {
  return nodeShadow(options) as NodeShadowMiddleware & ExpressMiddleware<NodeShadowMiddleware['engine']>;
}
