/**
 * Metrics of the middleware: one doppel {@link Metrics} set per prom-client registry, so
 * several `mirror()` and `shadow()` middlewares can share the app's registry (prom-client
 * refuses a metric name registered twice), and a ready `/metrics` handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { Metrics } from '../report/metrics.js';

const byRegistry = new WeakMap<Registry, Metrics>();

/**
 * The doppel metrics on `register` (created on first use, without prom-client's default
 * process metrics: the app decides about those), or a private set when none is given.
 *
 * @example
 * ```ts
 * const metrics = metricsFor(appRegistry);
 * metricsFor(appRegistry) === metrics; // true
 * ```
 */
export function metricsFor(register?: Registry, metrics?: Metrics): Metrics {
  if (metrics !== undefined) return metrics;
  if (register === undefined) return new Metrics({ defaultMetrics: false });
  let m = byRegistry.get(register);
  if (m === undefined) {
    m = new Metrics({ registry: register, defaultMetrics: false });
    byRegistry.set(register, m);
  }
  return m;
}

/** A node:http request handler. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A `/metrics` handler with the node:http signature (usable as is in node:http, Connect
 * and Express) serving a registry, or the registry of a doppel {@link Metrics}, in the
 * Prometheus text format.
 *
 * @example
 * ```ts
 * const register = new Registry();
 * app.use(mirror({ targets: ['http://127.0.0.1:3001'], register }));
 * app.get('/metrics', metricsHandler(register));
 * ```
 */
export function metricsHandler(registry: Registry | Metrics): NodeHandler {
  const reg = registry instanceof Metrics ? registry.registry : registry;
  return (_req, res) => {
    reg.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': reg.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`metrics unavailable: ${(err as Error)?.message ?? String(err)}\n`);
      },
    );
  };
}
