/**
 * Connection pools, one per upstream origin and role, so copies never take connections
 * from the primary: an undici `Pool` for the primary; for copies an undici `Pool`, or with
 * pipelining to a plain `http:` target a {@link CopyClient} (bodiless copies on its own
 * lean connections, the rest on an undici Pool). Pools of origins that leave the
 * configuration are closed gracefully (their queued requests finish first).
 */
import { Pool, type Dispatcher } from 'undici';
import type { TimeoutSpec } from '../config/types.js';
import { CopyClient, type CopyDispatcher } from '../mirror/copy-client.js';
import { batchingConnector } from './connector.js';

/** Idle connections close after this many ms. */
const KEEP_ALIVE = 4_000;

export type PoolRole = 'primary' | 'copy';

/** The pools of one proxy instance. */
export class PoolSet {
  private readonly pools = new Map<string, CopyDispatcher>();
  constructor(private timeouts: TimeoutSpec) {}

  /** The primary's pool for an origin (`http://host:port`), created on first use. */
  primary(origin: string): Dispatcher {
    const key = poolKey(origin, 'primary');
    let pool = this.pools.get(key) as Pool | undefined;
    if (pool === undefined) {
      pool = this.pool(origin, 'primary', 1);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /**
   * The copies' dispatcher for an origin, created on first use. With `pipelining` above 1
   * GET and HEAD copies go out back to back and their writes are batched per event-loop
   * turn; to a plain `http:` target bodiless copies take doppel's lean client.
   */
  copies(origin: string, pipelining = 1): CopyDispatcher {
    const key = poolKey(origin, 'copy', pipelining);
    let d = this.pools.get(key);
    if (d === undefined) {
      const pool = this.pool(origin, 'copy', pipelining);
      d = pipelining > 1 && origin.startsWith('http:') ? new CopyClient(origin, { pipelining, connectTimeout: this.timeouts.connect, keepAlive: KEEP_ALIVE }, pool) : pool;
      this.pools.set(key, d);
    }
    return d;
  }

  private pool(origin: string, role: PoolRole, pipe: number): Pool {
    const t = this.timeouts;
    return new Pool(origin, {
      connect: pipe > 1 ? batchingConnector(t.connect) : { timeout: t.connect },
      // Copies have their own whole-request deadline; the primary uses the configured timeouts.
      headersTimeout: role === 'primary' ? t.primary : 0,
      bodyTimeout: role === 'primary' ? t.idle : 0,
      // As large as the client side accepts (undici's default is 16 KiB).
      maxHeaderSize: 64 * 1024,
      keepAliveTimeout: KEEP_ALIVE,
      pipelining: pipe,
    });
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
