/**
 * Where `doppel report` and `doppel store` read from: a store (SQLite file or PostgreSQL
 * URL, given directly or by a configuration file) or a running doppel's admin API.
 */
import { existsSync } from 'node:fs';
import { loadConfigFile } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { DoppelError } from '../core/errors.js';
import { withEndpointId } from '../admin/ids.js';
import { ShadowAggregator } from '../report/aggregate.js';
import type { EndpointReport } from '../report/aggregate-types.js';
import { DEFAULT_THRESHOLDS } from '../report/noise.js';
import { isPostgresUrl, openStore, type PersistentStore } from '../store/index.js';

const usage = (message: string) => new DoppelError('DOPPEL_ERR_USAGE', message);

/** The store location from `--store` or the configuration's `store`. */
export function storeLocation(opts: { store?: string; config?: string }, config: ResolvedConfig | null): string {
  const location = opts.store ?? config?.store;
  if (!location) throw usage(opts.config ? `${opts.config} sets no store; give --store <file|url>` : 'give --store <file|url> (or --config with a store)');
  if (!isPostgresUrl(location) && !existsSync(location)) throw usage(`no store at ${location}`);
  return location;
}

/** Opens a store for reading or clearing: no retention, no background work. */
export function openQuietly(location: string): Promise<PersistentStore> {
  return openStore(location, { retention: { maxAge: 0, maxSamples: 0 }, flushInterval: 0, refreshInterval: 0, retentionInterval: 0 }).catch((err: unknown) => {
    throw usage((err as Error).message);
  });
}

/** Loads `--config` when given. */
export function loadConfig(file: string | undefined): ResolvedConfig | null {
  return file ? loadConfigFile(file, { env: process.env }) : null;
}

/** The report rows from a store, with the noise thresholds of the configuration's routes. */
export async function rowsFromStore(location: string, config: ResolvedConfig | null): Promise<(EndpointReport & { id: string })[]> {
  const store = await openQuietly(location);
  try {
    const routes = new Map((config?.routes ?? []).map((r) => [r.name, r.shadow?.noise ?? DEFAULT_THRESHOLDS]));
    const agg = new ShadowAggregator({ store, thresholds: (route) => routes.get(route) ?? DEFAULT_THRESHOLDS });
    return agg.endpoints().map(withEndpointId);
  } finally {
    await store.close();
  }
}

/** The report rows from a running doppel's admin API. */
export async function rowsFromAdmin(base: string, token: string | undefined): Promise<(EndpointReport & { id: string })[]> {
  let url: URL;
  try {
    url = new URL('/api/v1/endpoints', base);
  } catch {
    throw usage(`--admin: not a URL: ${base}`);
  }
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    throw usage(`cannot reach the admin API at ${url.origin}: ${(err as Error).message}`);
  }
  if (res.status === 401) throw usage(`the admin API at ${url.origin} wants a token: give --token or set DOPPEL_ADMIN_TOKEN`);
  if (!res.ok) throw usage(`the admin API at ${url.origin} answered ${res.status}`);
  const rows = (await res.json()) as unknown;
  if (!Array.isArray(rows)) throw usage(`the admin API at ${url.origin} did not return a report`);
  return rows as (EndpointReport & { id: string })[];
}
