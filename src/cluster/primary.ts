/**
 * The cluster primary (`doppel --workers N`): forks N workers that share the listening
 * port through node:cluster, starts a crashed worker again with exponential backoff,
 * reloads the configuration on SIGHUP or file change (validated here first, then
 * re-read by every worker), shuts down gracefully on SIGTERM/SIGINT, and serves the
 * admin API with the workers' metrics and reports aggregated.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ResolvedConfig } from '../config/types.js';
import { watchConfigFile } from '../config/watch.js';
import type { Logger } from '../core/logger.js';
import type { AdminServer } from '../admin/server.js';
import { ClusterMetrics, createClusterAdmin, type ClusterView } from './admin.js';
import { isDoppelMessage, WORKER_ENV, type QueryKind, type ToPrimary, type ToWorker } from './messages.js';

export interface ClusterOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Re-reads the configuration; the primary validates it before the workers reload. */
  load?: () => ResolvedConfig;
  /** Watch `config.file` and reload on change (default true when `load` is given). */
  watch?: boolean;
  /** Shortest and longest wait before a crashed worker is started again, ms. */
  backoff?: { min: number; max: number };
  /** How long a query of the workers may take, ms (default 3000). */
  queryTimeout?: number;
}

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  startedAt: number;
  restarts: number;
  /** Consecutive short-lived runs, for the backoff. */
  crashes: number;
  timer: NodeJS.Timeout | null;
}

/** A running cluster. */
export interface ClusterInstance extends ClusterView {
  readonly admin: AdminServer | null;
  reload(): boolean;
  close(): Promise<void>;
}

/** A worker that ran at least this long resets its backoff. */
const STABLE_MS = 10_000;

/**
 * Starts the workers and the admin server; resolves once every worker is listening.
 * Rejects (after stopping the others) when a worker fails before it ever got ready, e.g.
 * because the port is taken.
 *
 * @example
 * ```ts
 * const c = await startCluster({ config, logger, load });
 * process.on('SIGTERM', () => void c.close().then(() => process.exit(0)));
 * ```
 */
export async function startCluster(options: ClusterOptions): Promise<ClusterInstance> {
  const { logger } = options;
  let config = options.config;
  const backoff = options.backoff ?? { min: 200, max: 10_000 };
  const queryTimeout = options.queryTimeout ?? 3_000;
  const slots: Slot[] = Array.from({ length: config.workers }, (_, index) => ({ index, worker: null, ready: false, startedAt: 0, restarts: 0, crashes: 0, timer: null }));
  const pending = new Map<number, { resolve: (v: unknown) => void; timer: NodeJS.Timeout }>();
  const metrics = new ClusterMetrics();
  let nextQuery = 1;
  let draining = false;
  let booting = true;
  let bootFailure: ((err: Error) => void) | null = null;
  let bootReady: (() => void) | null = null;

  const fork = (slot: Slot): void => {
    slot.timer = null;
    const worker = cluster.fork({ [WORKER_ENV]: '1' });
    slot.worker = worker;
    slot.ready = false;
    slot.startedAt = Date.now();
    worker.on('message', (m: unknown) => {
      if (!isDoppelMessage(m)) return;
      const msg = m as ToPrimary;
      if (msg.type === 'doppel:ready') {
        slot.ready = true;
        if (booting && slots.every((s) => s.ready)) bootReady?.();
      } else if (msg.type === 'doppel:reply') {
        const p = pending.get(msg.id);
        p?.resolve(msg.error === undefined ? msg.data : undefined);
      } else if (msg.type === 'doppel:reloaded' && !msg.ok) logger.error({ worker: worker.id }, 'a worker rejected the reloaded configuration');
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker !== worker) return;
      const wasReady = slot.ready;
      slot.worker = null;
      slot.ready = false;
      if (draining) return;
      if (booting && !wasReady) {
        bootFailure?.(new Error(`worker ${worker.id} exited during start (code ${code}, signal ${signal ?? 'none'})`));
        return;
      }
      const lived = Date.now() - slot.startedAt;
      slot.crashes = lived >= STABLE_MS ? 1 : slot.crashes + 1;
      const delay = Math.min(backoff.max, backoff.min * 2 ** (slot.crashes - 1));
      slot.restarts++;
      metrics.restarts.inc();
      logger.warn({ worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited; starting a new one');
      slot.timer = setTimeout(() => fork(slot), delay);
    });
  };

  const send = (w: Worker, message: ToWorker): void => {
    if (w.isConnected()) w.send(message);
  };

  const view: ClusterView = {
    get draining() {
      return draining;
    },
    routeCount: () => config.routes.length,
    workers: () =>
      slots.filter((s) => s.worker !== null).map((s) => ({ id: s.worker!.id, slot: s.index, pid: s.worker!.process.pid, ready: s.ready, startedAt: s.startedAt, restarts: s.restarts })),
    query: async (what: QueryKind) => {
      const asked = slots.filter((s) => s.ready && s.worker?.isConnected()).map((s) => s.worker!);
      const answers = await Promise.all(
        asked.map(
          (w) =>
            new Promise<unknown>((resolve) => {
              const id = nextQuery++;
              const timer = setTimeout(() => {
                pending.delete(id);
                resolve(undefined);
              }, queryTimeout);
              pending.set(id, {
                timer,
                resolve: (v) => {
                  clearTimeout(timer);
                  pending.delete(id);
                  resolve(v);
                },
              });
              send(w, { type: 'doppel:query', id, what });
            }),
        ),
      );
      return answers.filter((a) => a !== undefined);
    },
  };

  const stopAll = async (graceMs: number): Promise<void> => {
    draining = true;
    for (const s of slots) if (s.timer) clearTimeout(s.timer);
    const alive = slots.map((s) => s.worker).filter((w): w is Worker => w !== null && !w.isDead());
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => {
              logger.warn({ worker: w.id }, 'worker did not stop in time; killing it');
              w.process.kill('SIGKILL');
            }, graceMs);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            send(w, { type: 'doppel:shutdown' });
          }),
      ),
    );
  };

  cluster.setupPrimary({ silent: false });
  await new Promise<void>((resolve, reject) => {
    bootReady = resolve;
    bootFailure = (err) => void stopAll(2_000).then(() => reject(err));
    for (const s of slots) fork(s);
  });
  booting = false;

  let admin: AdminServer | null = null;
  let adminAddress: { host: string; port: number } | null = null;
  if (config.admin.listen) {
    admin = createClusterAdmin(view, metrics, config.admin.token);
    try {
      adminAddress = await admin.listen(config.admin.listen);
    } catch (err) {
      await stopAll(config.timeouts.shutdownGrace + config.timeouts.mirrorGrace + 2_000);
      throw err;
    }
  }

  const reload = (): boolean => {
    if (!options.load) return false;
    let next: ResolvedConfig;
    try {
      next = options.load();
    } catch (err) {
      logger.error({ code: (err as { code?: string }).code, err: (err as Error).message }, 'configuration rejected; keeping the previous one');
      return false;
    }
    if (next.workers !== config.workers || next.listen.port !== config.listen.port || next.listen.host !== config.listen.host) {
      logger.warn({ workers: next.workers, listen: `${next.listen.host}:${next.listen.port}` }, 'workers and listen take effect on restart');
    }
    config = next;
    for (const s of slots) if (s.worker) send(s.worker, { type: 'doppel:reload' });
    logger.info({ routes: next.routes.length, file: next.file }, 'configuration reloaded in every worker');
    return true;
  };

  const watcher = config.file && options.load && options.watch !== false ? watchConfigFile(config.file, () => reload(), logger) : null;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      watcher?.close();
      const t = config.timeouts;
      await stopAll(t.shutdownGrace + t.mirrorGrace + 2_000);
      await admin?.close();
      logger.info('stopped');
    })());

  logger.info(
    { listen: `${config.listen.host}:${config.listen.port}`, admin: adminAddress && `${adminAddress.host}:${adminAddress.port}`, workers: slots.length },
    'doppel listening',
  );
  return Object.assign(view, { admin, reload, close }) as ClusterInstance;
}
