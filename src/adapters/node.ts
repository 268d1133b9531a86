/**
 * `doppel/node`: request mirroring and shadow testing for plain node:http servers and
 * Connect-style stacks. The app's request and response are never delayed or changed:
 * the request body is observed as the app reads it, copies run on doppel's own
 * connections with their own timeouts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMirror, type MirrorEngine, type MirrorOptions, type MirrorTargetInput } from '../middleware/core.js';
import { connectStyle, mirrorNodeRequest, shadowNodeRequest, type NodeMiddleware } from '../middleware/node.js';
import { createShadowEngine, type ShadowEngine, type ShadowOptions } from '../middleware/shadow.js';
import type { EndpointReport } from '../report/aggregate-types.js';

export { percentage, createMirror } from '../middleware/core.js';
export type { MirrorEngine, MirrorOptions, MirrorTargetInput, MirrorTargetOptions, MirrorRequestInfo, MirrorTicket, MirrorResponse } from '../middleware/core.js';
export type { ShadowEngine, ShadowOptions, ShadowDiff, ShadowBackendOptions } from '../middleware/shadow.js';
export { metricsHandler } from '../middleware/metrics.js';
export type { NodeMiddleware } from '../middleware/node.js';

/** A node:http request listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The shadow middleware: a Connect-style function plus the report. */
export type NodeShadowMiddleware = NodeMiddleware<ShadowEngine> & {
  /** The per-endpoint shadow report. */
  report(): EndpointReport[];
  /** Resolves when every shadowed request so far has been compared. */
  idle(): Promise<void>;
};

/**
 * Mirror middleware for node:http and Connect: `(req, res, next?)`. Without `next` it just
 * starts the copies, so it can be called first thing in a plain request handler.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { mirror } from 'doppel/node';
 * const copy = mirror('https://staging.example.com');
 * http.createServer((req, res) => {
 *   copy(req, res);
 *   res.end('hello');
 * }).listen(3000);
 * ```
 */
export function mirror(...args: [MirrorOptions] | MirrorTargetInput[]): NodeMiddleware<MirrorEngine> {
  return connectStyle(createMirror(...args), (engine, req, res) => mirrorNodeRequest(engine, req, res));
}

/**
 * Wraps a request listener so every request is mirrored before the listener sees it.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { withMirror, percentage } from 'doppel/node';
 * const server = http.createServer(
 *   withMirror(app, { targets: ['http://127.0.0.1:3001', percentage('http://127.0.0.1:3002', 10)], timeout: 2000 }),
 * );
 * ```
 */
export function withMirror(
  handler: RequestListener,
  ...args: [MirrorOptions] | MirrorTargetInput[]
): RequestListener & { readonly engine: MirrorEngine; close(): Promise<void> } {
  const mw = mirror(...args);
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    mw(req, res);
    handler(req, res);
  };
  return Object.assign(listener, { engine: mw.engine, close: mw.close });
}

/**
 * Shadow-testing middleware for node:http and Connect: each sampled request also goes to
 * the candidate; the app's response is captured as it is sent and compared off the
 * request path; differences reach `onDiff`, `.report()` and the metrics.
 *
 * @example
 * ```ts
 * import { shadow } from 'doppel/node';
 * const tester = shadow({ candidate: 'http://127.0.0.1:4000', onDiff: (d) => console.warn(d.endpoint, d.differences) });
 * http.createServer((req, res) => {
 *   tester(req, res);
 *   res.end(JSON.stringify({ ok: true }));
 * });
 * ```
 */
export function shadow(options: ShadowOptions): NodeShadowMiddleware {
  const engine = createShadowEngine(options);
  const mw = connectStyle(engine, shadowNodeRequest);
  return Object.assign(mw, { report: () => engine.report(), idle: () => engine.idle() });
}
