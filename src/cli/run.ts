/**
 * `doppel [options]`: runs the proxy from flags and/or a configuration file until a
 * signal stops it. With `workers` above 1 this process becomes the cluster primary and
 * the proxy runs in forked workers (see `src/cluster/`).
 */
import type { DoppelInstance } from '../app.js';
import { applyOverrides, fromFlags, loadConfigFile, type FlagOptions } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { DoppelError } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { WORKER_ENV } from '../cluster/messages.js';

/** Options as commander parses them. */
export interface RunOptions {
  config?: string;
  listen?: string;
  admin?: string;
  primary?: string;
  mirror?: string[];
  candidate?: string[];
  secondary?: string;
  store?: string;
  workers?: string;
  logLevel?: string;
}

function flagsOf(opts: RunOptions): FlagOptions {
  return {
    listen: opts.listen,
    admin: opts.admin,
    primary: opts.primary,
    mirror: opts.mirror,
    candidate: opts.candidate,
    secondary: opts.secondary,
    store: opts.store,
    workers: opts.workers,
    logLevel: opts.logLevel,
  };
}

/** Resolves the configuration the flags describe. */
export function resolveRunConfig(opts: RunOptions): ResolvedConfig {
  const flags = flagsOf(opts);
  if (opts.config) return applyOverrides(loadConfigFile(opts.config, { env: process.env }), flags);
  if (!opts.primary) throw new DoppelError('DOPPEL_ERR_USAGE', 'give --primary <url> (quick mode) or --config <file>; see doppel --help');
  return fromFlags(flags);
}

/** Installs signal handlers: SIGHUP reloads, SIGTERM/SIGINT stop gracefully. */
export function handleSignals(app: Pick<DoppelInstance, 'close' | 'reload' | 'logger'>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      app.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void app.reload());
}

/**
 * Runs the proxy: in this process when `workers` is 1, else as the primary of a cluster
 * of that many workers (and, in a forked worker, as that worker).
 */
export async function runProxy(opts: RunOptions): Promise<void> {
  const config = resolveRunConfig(opts);
  const logger = createLogger(config.log.level);
  const load = opts.config ? () => applyOverrides(loadConfigFile(opts.config!, { env: process.env }), flagsOf(opts)) : undefined;
  if (process.env[WORKER_ENV] === '1') {
    const { runWorker } = await import('../cluster/worker.js');
    await runWorker({ config, logger, load });
    return;
  }
  if (config.workers > 1) {
    const { startCluster } = await import('../cluster/primary.js');
    const c = await startCluster({ config, logger, load });
    handleSignals({ close: () => c.close(), reload: () => c.reload(), logger });
    return;
  }
  const { startDoppel } = await import('../app.js');
  const app = await startDoppel(config, { logger, load });
  handleSignals(app);
}
