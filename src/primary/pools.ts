/**
 * Connection pools, one undici `Pool` per upstream origin and role, so copies never take
 * connections from the primary. Pools of origins that leave the configuration are closed
 * gracefully (their queued requests finish first).
 */
import { Pool, type Dispatcher } from 'undici';
import type { TimeoutSpec } from '../config/types.js';
import { batchingConnector } from './connector.js';

export type PoolRole = 'primary' | 'copy';

/** The pools of one proxy instance. */
export class PoolSet {
  private readonly pools = new Map<string, Pool>();
  constructor(private timeouts: TimeoutSpec) {}

  /**
   * Pool for an origin (`http://host:port`) in a role, created on first use. Copy pools with
   * `pipelining` above 1 send GET and HEAD copies back to back and batch their writes.
   */
  get(origin: string, role: PoolRole, pipelining = 1): Dispatcher {
    const pipe = role === 'copy' ? pipelining : 1;
    const key = poolKey(origin, role, pipe);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const t = this.timeouts;
      pool = new Pool(origin, {
        connect: pipe > 1 ? batchingConnector(t.connect) : { timeout: t.connect },
        // Copies have their own whole-request deadline; the primary uses the configured timeouts.
        headersTimeout: role === 'primary' ? t.primary : 0,
        bodyTimeout: role === 'primary' ? t.idle : 0,
        // As large as the client side accepts (undici's default is 16 KiB).
        maxHeaderSize: 64 * 1024,
        keepAliveTimeout: 4_000,
        pipelining: pipe,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Sets timeouts for pools created from now on. The connect timeout is a pool's own; the
   * primary's header and body timeouts are also given per request, so a reload changes them
   * for pools that already exist.
   */
  setTimeouts(timeouts: TimeoutSpec): void {
    this.timeouts = timeouts;
  }

  /** Closes the pools whose keys are not in `keep` (`role origin`); queued requests finish. */
  retain(keep: Set<string>): void {
    for (const [key, pool] of this.pools) {
      if (!keep.has(key)) {
        this.pools.delete(key);
        pool.close().catch(() => {});
      }
    }
  }

  /** Closes every pool; `force` aborts requests still under way. */
  async close(force = false): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => (force ? p.destroy() : p.close()).catch(() => {})));
  }
}

/** The key `retain()` expects. */
export function poolKey(origin: string, role: PoolRole, pipelining = 1): string {
  return pipelining > 1 ? `${role}/${pipelining} ${origin}` : `${role} ${origin}`;
}
