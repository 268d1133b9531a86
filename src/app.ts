/**
 * A running doppel instance: the proxy server, the admin server, hot reload and graceful
 * shutdown, put together from a resolved configuration.
 */
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { HostPort, ResolvedConfig } from './config/types.js';
import { watchConfigFile } from './config/watch.js';
import { DoppelProxy, type RequestExtension } from './core/proxy.js';
import { createLogger, type Logger } from './core/logger.js';
import { createProxyServer } from './ingress/server.js';
import { AdminServer } from './admin/server.js';
import { mountCoreAdmin } from './admin/routes.js';
import type { MirrorHooks } from './mirror/target.js';
import { Metrics } from './report/metrics.js';
import type { ExtensionFactory } from './routing/table.js';
import { createShadow, warnSideEffects, type ShadowRuntime } from './shadow/index.js';
import { mountApi } from './admin/api.js';
import { setupPersistence } from './store/setup.js';
import { mountDashboard } from './dashboard/serve.js';
import { DEFAULT_THRESHOLDS } from './report/noise.js';
import type { PersistentStore } from './store/types.js';

export interface StartOptions {
  logger?: Logger;
  hooks?: MirrorHooks;
  registry?: Registry;
  /** Reloads the configuration (from its file); used on SIGHUP and file change. */
  load?: () => ResolvedConfig;
  /** Watch `config.file` and reload on change (default true when `load` is given). */
  watch?: boolean;
  extension?: ExtensionFactory<RequestExtension>;
  /** Serve the admin API (default true); cluster workers leave it to the primary. */
  admin?: boolean;
  /** Called once the admin server exists, to mount more routes. */
  mountAdmin?: (admin: AdminServer, proxy: DoppelProxy) => void;
}

/** A started instance. */
export interface DoppelInstance {
  proxy: DoppelProxy;
  /** Bound proxy address (port resolved when 0 was asked). */
  address: HostPort;
  /** Shadow testing: the aggregated report and the comparison queue. */
  shadow: ShadowRuntime;
  /** The result store, when `store` names one. */
  store: PersistentStore | null;
  /** Bound admin address, or null when the admin server is off. */
  adminAddress: HostPort | null;
  logger: Logger;
  /** Applies a configuration, or reloads it with `load` when none is given. Keeps the old one on error. */
  reload(config?: ResolvedConfig): boolean;
  /** Graceful shutdown: stop accepting, finish in-flight requests, give copies a bounded grace. */
  close(): Promise<void>;
}

function listen(server: Server, at: HostPort): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      const a = server.address() as { address: string; port: number };
      resolve({ host: a.address, port: a.port });
    });
  });
}

/**
 * Starts the proxy and the admin server.
 *
 * @example
 * ```ts
 * const app = await startDoppel(fromFlags({ primary: 'http://127.0.0.1:3000', mirror: ['http://127.0.0.1:3001'] }));
 * console.log(`proxy on ${app.address.port}`);
 * await app.close();
 * ```
 */
export async function startDoppel(config: ResolvedConfig, options: StartOptions = {}): Promise<DoppelInstance> {
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = new Metrics({ registry: options.registry });
  const persist = await setupPersistence(config, logger);
  // Diffy thresholds per route, read from the configuration in force (reloads included).
  let live = config;
  const thresholds = (route: string) => live.routes.find((r) => r.name === route)?.shadow?.noise ?? DEFAULT_THRESHOLDS;
  const shadow = createShadow({ metrics, logger, ...persist.shadowOptions, aggregator: { ...persist.shadowOptions.aggregator, thresholds } });
  warnSideEffects(config, logger);
  const proxy = new DoppelProxy(config, {
    metrics,
    hooks: options.hooks,
    extension: options.extension ?? shadow.extension,
    onRequestError: (err, req) => {
      if (err.code === 'DOPPEL_ERR_CLIENT_ABORTED') logger.debug({ code: err.code, method: req.method, url: req.url }, err.message);
      else logger.warn({ code: err.code, method: req.method, url: req.url }, err.message);
    },
  });
  const server = createProxyServer(proxy, config.timeouts);
  const address = await listen(server, config.listen);
  let admin: AdminServer | null = null;
  let adminAddress: HostPort | null = null;
  if (config.admin.listen && options.admin !== false) {
    admin = new AdminServer({ token: config.admin.token });
    mountCoreAdmin(admin, proxy);
    shadow.mount(admin);
    mountApi(admin, { proxy, shadow });
    options.mountAdmin?.(admin, proxy);
    mountDashboard(admin);
    adminAddress = await admin.listen(config.admin.listen);
  }

  const reload = (next?: ResolvedConfig): boolean => {
    try {
      const cfg = next ?? options.load?.();
      if (!cfg) return false;
      proxy.reload(cfg);
      live = cfg;
      warnSideEffects(cfg, logger);
      logger.info({ routes: cfg.routes.length, file: cfg.file }, 'configuration reloaded');
      return true;
    } catch (err) {
      logger.error({ code: (err as { code?: string }).code, err: (err as Error).message }, 'configuration rejected; keeping the previous one');
      return false;
    }
  };

  const watcher = config.file && options.load && options.watch !== false ? watchConfigFile(config.file, () => reload(), logger) : null;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      watcher?.close();
      proxy.draining = true;
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const t = proxy.config.timeouts;
      const idle = await proxy.whenIdle(t.shutdownGrace);
      if (!idle) logger.warn({ inFlight: proxy.inFlight }, 'shutdown grace over; closing connections still under way');
      server.closeAllConnections();
      await stopped;
      const deadline = Date.now() + t.mirrorGrace;
      while (proxy.copiesInFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await shadow.reporter.idle();
      await persist.store?.close();
      await proxy.close(true);
      await admin?.close();
      logger.info('stopped');
    })());

  logger.info({ listen: `${address.host}:${address.port}`, admin: adminAddress && `${adminAddress.host}:${adminAddress.port}` }, 'doppel listening');
  return { proxy, address, adminAddress, shadow, store: persist.store, logger, reload, close };
}
