/**
 * The admin routes every instance has: health, readiness, metrics and mirror target
 * health.
 */
import type { DoppelProxy } from '../core/proxy.js';
import { AdminServer, sendJson } from './server.js';

/**
 * Mounts `/healthz`, `/readyz`, `/metrics` and `/api/v1/targets`.
 *
 * @example
 * ```ts
 * mountCoreAdmin(admin, proxy);
 * ```
 */
export function mountCoreAdmin(admin: AdminServer, proxy: DoppelProxy): void {
  const started = Date.now();
  admin.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  admin.route('GET', '/readyz', (_req, res) =>
    proxy.draining ? sendJson(res, 503, { status: 'draining' }) : sendJson(res, 200, { status: 'ready', routes: proxy.config.routes.length }),
  );
  admin.route('GET', '/metrics', async (_req, res) => {
    const text = await proxy.metrics.text();
    res.writeHead(200, { 'content-type': proxy.metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  admin.route('GET', '/api/v1/targets', (_req, res) =>
    sendJson(res, 200, {
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      targets: proxy.routes.allTargets().map(({ route, target }) => ({
        route,
        target: target.name,
        url: target.spec.url,
        inFlight: target.inflight,
        circuit: target.breaker.state,
      })),
    }),
  );
}
