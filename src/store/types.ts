/**
 * What a persistent result store is and how it is tuned. Both stores (SQLite and
 * PostgreSQL) implement {@link PersistentStore}: the synchronous {@link AggregateStore}
 * the aggregator uses, plus flushing and closing.
 */
import type { AggregateStore } from '../report/aggregate-store.js';

/** Seven days, the default maximum age of stored results. */
export const DEFAULT_MAX_AGE = 7 * 24 * 3600 * 1000;
/** Samples kept in the whole store at most, by default. */
export const DEFAULT_MAX_SAMPLES = 5000;

/** How long results are kept. */
export interface RetentionOptions {
  /** Samples older than this, and endpoints and fields not updated for this long, are deleted (ms; default 7 days; 0 = forever). */
  maxAge?: number;
  /** Samples kept in the whole store at most; the oldest go first (default 5000; 0 = unbounded). */
  maxSamples?: number;
}

/** Options of a persistent store. */
export interface StoreOptions {
  retention?: RetentionOptions;
  /** Pending writes are flushed at least this often, in one transaction (ms; default 250). */
  flushInterval?: number;
  /** Pending operations that trigger a flush before the interval (default 1000). */
  flushBatch?: number;
  /** How often the read cache is reloaded from the database (ms; default 1000 for SQLite, 2000 for PostgreSQL). */
  refreshInterval?: number;
  /** How often retention runs (ms; default 60000). It also runs when the store opens. */
  retentionInterval?: number;
  /** Called with a message when a background write fails (it is retried with the next flush). */
  onError?: (err: Error, what: string) => void;
  /** The clock (epoch ms), for tests. */
  now?: () => number;
}

/** An {@link AggregateStore} backed by a database. */
export interface PersistentStore extends AggregateStore {
  /** `sqlite` or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is: the file path or the URL without its password. */
  readonly location: string;
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Reloads the read cache from the database (after a flush). */
  refresh(): Promise<void>;
  /** Applies retention now; resolves with the number of samples deleted. */
  applyRetention(): Promise<number>;
  /** Flushes and closes; the store must not be used afterwards. */
  close(): Promise<void>;
}
