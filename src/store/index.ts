/**
 * Result stores: where the shadow report persists. `openStore` picks the kind from the
 * location: a `postgres://` (or `postgresql://`) URL opens PostgreSQL, anything else is a
 * SQLite file path.
 */
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { PersistentStore, StoreOptions } from './types.js';

export type { PersistentStore, RetentionOptions, StoreOptions } from './types.js';
export { DEFAULT_MAX_AGE, DEFAULT_MAX_SAMPLES } from './types.js';
export { SqliteStore } from './sqlite.js';
export { PostgresStore, safeUrl } from './postgres.js';

/** True when the location names a PostgreSQL database. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens the store at `location`: migrates its schema, applies retention and loads it.
 *
 * @example
 * ```ts
 * const store = await openStore('./doppel.db');
 * const shadow = createShadow({ metrics, logger, aggregator: { store } });
 * await store.close();
 * ```
 */
export async function openStore(location: string, options: StoreOptions = {}): Promise<PersistentStore> {
  if (isPostgresUrl(location)) return PostgresStore.open(location, options);
  return SqliteStore.open(location.replace(/^sqlite:(\/\/)?/i, ''), options);
}
