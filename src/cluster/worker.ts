/**
 * A cluster worker: runs the proxy (without an admin server; the primary serves it) on
 * the port shared through node:cluster, and answers the primary over IPC: reload,
 * graceful shutdown, and queries for metrics, shadow report snapshots and target health.
 */
import cluster from 'node:cluster';
import type { ResolvedConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { DoppelInstance } from '../app.js';
import { isDoppelMessage, type QueryKind, type ToPrimary, type ToWorker } from './messages.js';

export interface WorkerOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Re-reads the configuration (its file); used on reload. */
  load?: () => ResolvedConfig;
}

function send(message: ToPrimary): void {
  if (process.connected) process.send?.(message);
}

/** Health of the mirror targets, as `/api/v1/targets` lists them. */
export function targetHealth(app: Pick<DoppelInstance, 'proxy'>): { route: string; target: string; url: string; inFlight: number; circuit: string }[] {
  return app.proxy.routes.allTargets().map(({ route, target }) => ({ route, target: target.name, url: target.spec.url, inFlight: target.inflight, circuit: target.breaker.state }));
}

async function answer(app: DoppelInstance, what: QueryKind): Promise<unknown> {
  switch (what) {
    case 'metrics':
      return app.proxy.metrics.registry.getMetricsAsJSON();
    case 'endpoints':
      return app.shadow.aggregator.snapshot();
    case 'targets':
      return targetHealth(app);
  }
}

/**
 * Starts the proxy in this worker and wires it to the primary.
 *
 * @example
 * ```ts
 * if (process.env[WORKER_ENV]) await runWorker({ config, logger, load });
 * ```
 */
export async function runWorker(options: WorkerOptions): Promise<DoppelInstance> {
  const { startDoppel } = await import('../app.js');
  const logger = options.logger.child({ worker: cluster.worker?.id ?? 0 });
  const app = await startDoppel(options.config, { logger, load: options.load, watch: false, admin: false });

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.debug({ why }, 'worker stopping');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (m: unknown) => {
    if (!isDoppelMessage(m)) return;
    const msg = m as ToWorker;
    if (msg.type === 'doppel:reload') send({ type: 'doppel:reloaded', ok: app.reload() });
    else if (msg.type === 'doppel:shutdown') stop('shutdown requested');
    else if (msg.type === 'doppel:query') {
      answer(app, msg.what).then(
        (data) => send({ type: 'doppel:reply', id: msg.id, data }),
        (err: Error) => send({ type: 'doppel:reply', id: msg.id, error: err.message }),
      );
    }
  });
  // The primary coordinates reloads and shutdowns; a terminal's signals reach the whole
  // process group, so the worker leaves SIGINT and SIGHUP to the primary.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Without a primary nobody restarts or reloads this worker: stop gracefully.
  process.on('disconnect', () => stop('primary gone'));
  send({ type: 'doppel:ready', port: app.address.port });
  return app;
}
