/** A doppel instance in front of real upstreams, for integration tests. */
import { startDoppel, type DoppelInstance, type StartOptions } from '../../src/app.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/core/logger.js';

export interface Running {
  app: DoppelInstance;
  base: string;
  admin: string;
  close(): Promise<void>;
}

export async function startStack(cfg: ResolvedConfig, options: StartOptions = {}): Promise<Running> {
  const app = await startDoppel(cfg, { logger: createLogger('silent'), ...options });
  return {
    app,
    base: `http://127.0.0.1:${app.address.port}`,
    admin: app.adminAddress ? `http://127.0.0.1:${app.adminAddress.port}` : '',
    close: () => app.close(),
  };
}
