/**
 * The SQL statements of the result store, shared by SQLite and PostgreSQL. Parameters are
 * written `?` and numbered (`$1`, ...) for PostgreSQL by {@link numbered}. Counters are
 * updated with `n = n + EXCLUDED.n`, so several writers add up.
 */
import type { Dialect } from './schema.js';
import { COUNTER_NAMES } from './rows.js';

/** Replaces each `?` with `$1`, `$2`, ... */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The statements for one dialect, with `?` parameters. */
export function statements(dialect: Dialect) {
  const least = dialect === 'sqlite' ? 'min' : 'LEAST';
  const greatest = dialect === 'sqlite' ? 'max' : 'GREATEST';
  const counters = COUNTER_NAMES.join(', ');
  return {
    upsertEndpoint:
      `INSERT INTO doppel_endpoints (route, candidate, endpoint, ${counters}, updated_at) VALUES (?, ?, ?, ${COUNTER_NAMES.map(() => '?').join(', ')}, ?) ` +
      `ON CONFLICT (route, candidate, endpoint) DO UPDATE SET ${COUNTER_NAMES.map((c) => `${c} = doppel_endpoints.${c} + EXCLUDED.${c}`).join(', ')}, ` +
      `updated_at = ${greatest}(doppel_endpoints.updated_at, EXCLUDED.updated_at) RETURNING id`,
    upsertField:
      'INSERT INTO doppel_fields (endpoint_id, key, path, kind, differences, noise, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (endpoint_id, key) DO UPDATE SET differences = doppel_fields.differences + EXCLUDED.differences, ' +
      `noise = doppel_fields.noise + EXCLUDED.noise, updated_at = ${greatest}(doppel_fields.updated_at, EXCLUDED.updated_at)`,
    insertSample:
      'INSERT INTO doppel_samples (endpoint_id, key, at, exchange_id, data) SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT) ' +
      'WHERE (SELECT count(*) FROM doppel_samples WHERE endpoint_id = ? AND key = ?) < CAST(? AS BIGINT)',
    insertExchange:
      'INSERT INTO doppel_exchanges (id, at, data) SELECT CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT) WHERE EXISTS (SELECT 1 FROM doppel_samples WHERE exchange_id = ?) ON CONFLICT (id) DO NOTHING',
    upsertLatency:
      'INSERT INTO doppel_latency (endpoint_id, series, alpha, count, sum, min, max, zero) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (endpoint_id, series) DO UPDATE SET count = doppel_latency.count + EXCLUDED.count, sum = doppel_latency.sum + EXCLUDED.sum, ' +
      `min = ${least}(doppel_latency.min, EXCLUDED.min), max = ${greatest}(doppel_latency.max, EXCLUDED.max), zero = doppel_latency.zero + EXCLUDED.zero`,
    upsertBucket:
      'INSERT INTO doppel_latency_buckets (endpoint_id, series, bucket, count) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (endpoint_id, series, bucket) DO UPDATE SET count = doppel_latency_buckets.count + EXCLUDED.count',
    upsertMark:
      'INSERT INTO doppel_marks (route, candidate, endpoint, key, mark, at) VALUES (?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (route, candidate, endpoint, key) DO UPDATE SET mark = EXCLUDED.mark, at = EXCLUDED.at',
    deleteMark: 'DELETE FROM doppel_marks WHERE route = ? AND candidate = ? AND endpoint = ? AND key = ?',
    readExchange: 'SELECT data FROM doppel_exchanges WHERE id = ?',
    selectEndpoints: `SELECT id, route, candidate, endpoint, ${counters} FROM doppel_endpoints ORDER BY id`,
    selectFields: 'SELECT endpoint_id, key, path, kind, differences, noise FROM doppel_fields',
    selectSamples: 'SELECT endpoint_id, key, data FROM doppel_samples ORDER BY seq',
    selectLatency: 'SELECT endpoint_id, series, alpha, count, sum, min, max, zero FROM doppel_latency',
    selectBuckets: 'SELECT endpoint_id, series, bucket, count FROM doppel_latency_buckets',
    selectMarks: 'SELECT route, candidate, endpoint, key, mark, at FROM doppel_marks',
    /** Retention by age: endpoints, then fields, then samples older than the cutoff. */
    retainEndpoints: 'DELETE FROM doppel_endpoints WHERE updated_at < ?',
    retainFields: 'DELETE FROM doppel_fields WHERE updated_at < ?',
    retainSamplesByAge: 'DELETE FROM doppel_samples WHERE at < ?',
    /** Retention by count: all but the newest N samples. */
    retainSamplesByCount:
      `DELETE FROM doppel_samples WHERE seq IN (SELECT seq FROM doppel_samples ORDER BY at DESC, seq DESC LIMIT ${dialect === 'sqlite' ? '-1' : 'ALL'} OFFSET ?)`,
    /** Exchanges no sample points at any more. */
    retainExchanges:
      'DELETE FROM doppel_exchanges WHERE NOT EXISTS (SELECT 1 FROM doppel_samples WHERE doppel_samples.exchange_id = doppel_exchanges.id)',
  };
}
