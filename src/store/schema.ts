/**
 * The database schema of the result store, as numbered migrations shared by SQLite and
 * PostgreSQL (the few type names that differ are filled in per dialect). Applied
 * migrations are recorded in `doppel_schema`; a store refuses a database whose schema is
 * newer than it knows.
 */

export type Dialect = 'sqlite' | 'postgres';

interface Types {
  id: string;
  seq: string;
  int: string;
  real: string;
}

const TYPES: Record<Dialect, Types> = {
  sqlite: { id: 'INTEGER PRIMARY KEY', seq: 'INTEGER PRIMARY KEY AUTOINCREMENT', int: 'INTEGER', real: 'REAL' },
  postgres: { id: 'BIGSERIAL PRIMARY KEY', seq: 'BIGSERIAL PRIMARY KEY', int: 'BIGINT', real: 'DOUBLE PRECISION' },
};

/** One migration: the statements that take the schema from `version - 1` to `version`. */
export interface Migration {
  version: number;
  statements(dialect: Dialect): string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements(dialect) {
      const t = TYPES[dialect];
      const counters = ['requests', 'compared', 'errors', 'skipped', 'matches', 'regressions'].map((c) => `${c} ${t.int} NOT NULL DEFAULT 0`).join(', ');
      return [
        `CREATE TABLE doppel_endpoints (id ${t.id}, route TEXT NOT NULL, candidate TEXT NOT NULL, endpoint TEXT NOT NULL, ${counters}, updated_at ${t.int} NOT NULL, UNIQUE (route, candidate, endpoint))`,
        `CREATE TABLE doppel_fields (endpoint_id ${t.int} NOT NULL REFERENCES doppel_endpoints (id) ON DELETE CASCADE, key TEXT NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL, differences ${t.int} NOT NULL DEFAULT 0, noise ${t.int} NOT NULL DEFAULT 0, updated_at ${t.int} NOT NULL, PRIMARY KEY (endpoint_id, key))`,
        `CREATE TABLE doppel_samples (seq ${t.seq}, endpoint_id ${t.int} NOT NULL, key TEXT NOT NULL, at ${t.int} NOT NULL, exchange_id TEXT, data TEXT NOT NULL, FOREIGN KEY (endpoint_id, key) REFERENCES doppel_fields (endpoint_id, key) ON DELETE CASCADE)`,
        'CREATE INDEX doppel_samples_field ON doppel_samples (endpoint_id, key)',
        'CREATE INDEX doppel_samples_at ON doppel_samples (at)',
        'CREATE INDEX doppel_samples_exchange ON doppel_samples (exchange_id)',
        `CREATE TABLE doppel_exchanges (id TEXT PRIMARY KEY, at ${t.int} NOT NULL, data TEXT NOT NULL)`,
        `CREATE TABLE doppel_latency (endpoint_id ${t.int} NOT NULL REFERENCES doppel_endpoints (id) ON DELETE CASCADE, series TEXT NOT NULL, alpha ${t.real} NOT NULL, count ${t.int} NOT NULL, sum ${t.real} NOT NULL, min ${t.real} NOT NULL, max ${t.real} NOT NULL, zero ${t.int} NOT NULL, PRIMARY KEY (endpoint_id, series))`,
        `CREATE TABLE doppel_latency_buckets (endpoint_id ${t.int} NOT NULL, series TEXT NOT NULL, bucket ${t.int} NOT NULL, count ${t.int} NOT NULL, PRIMARY KEY (endpoint_id, series, bucket), FOREIGN KEY (endpoint_id, series) REFERENCES doppel_latency (endpoint_id, series) ON DELETE CASCADE)`,
        `CREATE TABLE doppel_marks (route TEXT NOT NULL, candidate TEXT NOT NULL, endpoint TEXT NOT NULL, key TEXT NOT NULL, mark TEXT NOT NULL, at ${t.int} NOT NULL, PRIMARY KEY (route, candidate, endpoint, key))`,
      ];
    },
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The version table. */
export function versionTable(dialect: Dialect): string {
  return `CREATE TABLE IF NOT EXISTS doppel_schema (version INTEGER PRIMARY KEY, applied_at ${TYPES[dialect].int} NOT NULL)`;
}

/** Result tables, children first (for clearing). */
export const RESULT_TABLES = ['doppel_latency_buckets', 'doppel_latency', 'doppel_samples', 'doppel_exchanges', 'doppel_fields', 'doppel_endpoints'];
