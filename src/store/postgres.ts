/**
 * The shared result store: PostgreSQL through `pg`, so that several doppel instances
 * write one report. The synchronous store interface is kept by the write-behind cache of
 * {@link WriteBehindStore}: writes are batched and flushed in one transaction every
 * 250 ms, counters as `n = n + EXCLUDED.n` (instances add up), rows locked in one order
 * (no deadlocks between instances); the cache is reloaded every `refreshInterval` (2 s by
 * default) so that each instance serves the shared totals.
 */
import pg from 'pg';
import { DoppelError } from '../core/errors.js';
import { endpointKey } from '../report/aggregate-store.js';
import type { SampleExchange } from '../report/aggregate-types.js';
import type { Batch } from './batch.js';
import { assemble, COUNTER_NAMES, sketchBuckets, type BucketRow, type EndpointRow, type FieldRow, type LatencyRow, type MarkRow, type SampleRow } from './rows.js';
import { MIGRATIONS, RESULT_TABLES, SCHEMA_VERSION, versionTable } from './schema.js';
import { numbered, statements } from './sql.js';
import type { StoreOptions } from './types.js';
import { cacheOf, settings, WriteBehindStore, type Loaded } from './write-behind.js';

type Sql = { [K in keyof ReturnType<typeof statements>]: string };

/** Serializes migrations of concurrent instances (any constant shared by all of them). */
const MIGRATION_LOCK = 0x646f70;

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(versionTable('postgres'));
    const { rows } = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM doppel_schema');
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new DoppelError('DOPPEL_ERR_STORE', `the store was written by a newer doppel (schema ${current}, this one knows ${SCHEMA_VERSION})`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const sql of m.statements('postgres')) await c.query(sql);
      await c.query('INSERT INTO doppel_schema (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
    }
  });
}

/**
 * A result store in a PostgreSQL database.
 *
 * @example
 * ```ts
 * const store = await PostgresStore.open('postgres://doppel@db/doppel');
 * const agg = new ShadowAggregator({ store });
 * await store.close();
 * ```
 */
export class PostgresStore extends WriteBehindStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly sql: Sql;

  /** Connects, migrates, applies retention and loads the cache. */
  static async open(url: string, options: StoreOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: 3, idleTimeoutMillis: 30_000 });
    const store = new PostgresStore(pool, url, options);
    pool.on('error', (err) => store.settings.onError(err, 'connection'));
    try {
      await migrate(pool);
      await store.retain(store.settings.now());
      store.cache = cacheOf(await store.load());
    } catch (err) {
      await pool.end().catch(() => {});
      if (err instanceof DoppelError) throw err;
      throw new DoppelError('DOPPEL_ERR_STORE', `cannot open the PostgreSQL store ${safeUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    store.startTimers(true);
    return store;
  }

  private constructor(private readonly pool: pg.Pool, url: string, options: StoreOptions) {
    super(settings(options, 2000));
    this.location = safeUrl(url);
    this.sql = Object.fromEntries(Object.entries(statements('postgres')).map(([k, v]) => [k, numbered(v)])) as Sql;
  }

  protected write(b: Batch): Promise<void> {
    const now = this.settings.now();
    const s = this.sql;
    return inTransaction(this.pool, async (c) => {
      if (b.clearResults) for (const t of RESULT_TABLES) await c.query(`DELETE FROM ${t}`);
      if (b.clearMarks) await c.query('DELETE FROM doppel_marks');
      const ids = new Map<string, string>();
      for (const e of b.sortedEndpoints()) {
        const { rows } = await c.query<{ id: string }>(s.upsertEndpoint, [e.id.route, e.id.candidate, e.id.endpoint, ...COUNTER_NAMES.map((k) => e.counts[k]), now]);
        ids.set(endpointKey(e.id), rows[0].id);
      }
      const idOf = (id: Batch['samples'][number]['id']): string => ids.get(endpointKey(id))!;
      for (const f of b.sortedFields()) await c.query(s.upsertField, [idOf(f.id), f.key, f.path, f.kind, f.differences, f.noise, now]);
      for (const x of b.samples) {
        const eid = idOf(x.id);
        await c.query(s.insertSample, [eid, x.key, x.sample.at, x.sample.id ?? null, JSON.stringify(x.sample), eid, x.key, x.limit]);
      }
      for (const x of b.exchanges.values()) await c.query(s.insertExchange, [x.id, x.at, JSON.stringify(x), x.id]);
      for (const l of b.sortedLatency()) {
        const j = l.sketch.toJSON();
        if (j.count === 0) continue;
        const eid = idOf(l.id);
        await c.query(s.upsertLatency, [eid, l.series, j.alpha, j.count, j.sum, j.min, j.max, j.zero]);
        const buckets = sketchBuckets(j);
        if (buckets.length > 0) {
          await c.query(
            'INSERT INTO doppel_latency_buckets (endpoint_id, series, bucket, count) SELECT $1::bigint, $2::text, b, n FROM unnest($3::bigint[], $4::bigint[]) AS t (b, n) ' +
              'ON CONFLICT (endpoint_id, series, bucket) DO UPDATE SET count = doppel_latency_buckets.count + EXCLUDED.count',
            [eid, l.series, buckets.map((x) => x[0]), buckets.map((x) => x[1])],
          );
        }
      }
      for (const m of [...b.marks.values()].sort((x, y) => (endpointKey(x.id) + x.key < endpointKey(y.id) + y.key ? -1 : 1))) {
        if (m.mark) await c.query(s.upsertMark, [m.id.route, m.id.candidate, m.id.endpoint, m.key, m.mark, m.at]);
        else await c.query(s.deleteMark, [m.id.route, m.id.candidate, m.id.endpoint, m.key]);
      }
    });
  }

  protected load(): Promise<Loaded> {
    const s = this.sql;
    return inTransaction(
      this.pool,
      async (c) => {
        const q = async <T extends pg.QueryResultRow>(text: string) => (await c.query<T>(text)).rows;
        return assemble({
          endpoints: await q<EndpointRow & pg.QueryResultRow>(s.selectEndpoints),
          fields: await q<FieldRow & pg.QueryResultRow>(s.selectFields),
          samples: await q<SampleRow & pg.QueryResultRow>(s.selectSamples),
          latency: await q<LatencyRow & pg.QueryResultRow>(s.selectLatency),
          buckets: await q<BucketRow & pg.QueryResultRow>(s.selectBuckets),
          marks: await q<MarkRow & pg.QueryResultRow>(s.selectMarks),
        });
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
  }

  protected async readExchange(id: string): Promise<SampleExchange | undefined> {
    const { rows } = await this.pool.query<{ data: string }>(this.sql.readExchange, [id]);
    return rows[0] ? (JSON.parse(rows[0].data) as SampleExchange) : undefined;
  }

  protected retain(now: number): Promise<number> {
    const { maxAge, maxSamples } = this.settings;
    const s = this.sql;
    return inTransaction(this.pool, async (c) => {
      let deleted = 0;
      if (maxAge > 0) {
        const cutoff = now - maxAge;
        await c.query(s.retainEndpoints, [cutoff]);
        await c.query(s.retainFields, [cutoff]);
        deleted += (await c.query(s.retainSamplesByAge, [cutoff])).rowCount ?? 0;
      }
      if (maxSamples > 0) deleted += (await c.query(s.retainSamplesByCount, [maxSamples])).rowCount ?? 0;
      await c.query(s.retainExchanges);
      return deleted;
    });
  }

  protected async release(): Promise<void> {
    await this.pool.end();
  }
}
