/**
 * The embedded result store: one SQLite file (better-sqlite3) in WAL mode, so readers
 * never block the writer and several processes can share the file. Statements are
 * prepared once; pending writes are flushed in one `BEGIN IMMEDIATE` transaction every
 * 250 ms (see {@link WriteBehindStore}). Reads of the report reload the cache from the
 * file at most once per `refreshInterval`, so writes of other processes show up.
 */
import Database from 'better-sqlite3';
import { DoppelError } from '../core/errors.js';
import { endpointKey } from '../report/aggregate-store.js';
import type { EndpointSnapshot, SampleExchange } from '../report/aggregate-types.js';
import { Batch } from './batch.js';
import { assemble, COUNTER_NAMES, sketchBuckets } from './rows.js';
import { MIGRATIONS, RESULT_TABLES, SCHEMA_VERSION, versionTable } from './schema.js';
import { statements } from './sql.js';
import type { StoreOptions } from './types.js';
import { cacheOf, settings, WriteBehindStore, type Loaded } from './write-behind.js';

type Statements = { [K in keyof ReturnType<typeof statements>]: Database.Statement };

/** Applies the migrations the file lacks, in one immediate transaction. */
function migrate(db: Database.Database): void {
  db.exec(versionTable('sqlite'));
  db.transaction(() => {
    const row = db.prepare('SELECT max(version) AS v FROM doppel_schema').get() as { v: number | null };
    const current = row.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new DoppelError('DOPPEL_ERR_STORE', `the store was written by a newer doppel (schema ${current}, this one knows ${SCHEMA_VERSION})`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const sql of m.statements('sqlite')) db.exec(sql);
      db.prepare('INSERT INTO doppel_schema (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    }
  }).immediate();
}

/**
 * A result store in a SQLite file.
 *
 * @example
 * ```ts
 * const store = SqliteStore.open('./doppel.db', { retention: { maxAge: 7 * 86_400_000 } });
 * const agg = new ShadowAggregator({ store });
 * await store.close();
 * ```
 */
export class SqliteStore extends WriteBehindStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly writeTx: (batch: Batch, now: number) => void;
  private lastLoad = 0;

  /** Opens (creating when needed) the file, migrates it, loads it and applies retention. */
  static open(file: string, options: StoreOptions = {}): SqliteStore {
    return new SqliteStore(file, options);
  }

  private constructor(file: string, options: StoreOptions) {
    super(settings(options, 1000));
    this.location = file;
    try {
      this.db = new Database(file, { timeout: 10_000 });
      this.db.pragma('auto_vacuum = INCREMENTAL');
      if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('journal_size_limit = 8388608');
      migrate(this.db);
    } catch (err) {
      if (err instanceof DoppelError) throw err;
      throw new DoppelError('DOPPEL_ERR_STORE', `cannot open the SQLite store ${file}: ${(err as Error).message}`, { cause: err });
    }
    const sql = statements('sqlite');
    this.st = Object.fromEntries(Object.entries(sql).map(([k, v]) => [k, this.db.prepare(v)])) as Statements;
    const tx = this.db.transaction((batch: Batch, now: number) => this.writeRows(batch, now));
    this.writeTx = (batch, now) => tx.immediate(batch, now);
    this.retainSync(this.settings.now());
    this.cache = cacheOf(this.loadSync());
    this.lastLoad = Date.now();
    this.startTimers(false);
  }

  /** The report, reloaded from the file when older than `refreshInterval`. */
  override list(): EndpointSnapshot[] {
    if (!this.closed && Date.now() - this.lastLoad >= this.settings.refreshInterval) {
      try {
        this.flushSync();
        const cache = cacheOf(this.loadSync());
        this.pending.replay(cache);
        this.cache = cache;
        this.lastLoad = Date.now();
      } catch (err) {
        this.settings.onError(err as Error, 'refresh');
      }
    }
    return super.list();
  }

  private flushSync(): void {
    if (this.pending.empty) return;
    const batch = this.pending;
    this.pending = new Batch();
    try {
      this.writeTx(batch, this.settings.now());
    } catch (err) {
      this.pending.absorbOlder(batch);
      throw err;
    }
  }

  protected write(batch: Batch): Promise<void> {
    this.writeTx(batch, this.settings.now());
    return Promise.resolve();
  }

  private writeRows(b: Batch, now: number): void {
    if (b.clearResults) for (const t of RESULT_TABLES) this.db.exec(`DELETE FROM ${t}`);
    if (b.clearMarks) this.db.exec('DELETE FROM doppel_marks');
    const ids = new Map<string, number>();
    for (const e of b.sortedEndpoints()) {
      const row = this.st.upsertEndpoint.get(e.id.route, e.id.candidate, e.id.endpoint, ...COUNTER_NAMES.map((c) => e.counts[c]), now) as { id: number };
      ids.set(endpointKey(e.id), row.id);
    }
    const idOf = (id: Batch['samples'][number]['id']): number => ids.get(endpointKey(id))!;
    for (const f of b.sortedFields()) this.st.upsertField.run(idOf(f.id), f.key, f.path, f.kind, f.differences, f.noise, now);
    for (const s of b.samples) {
      const eid = idOf(s.id);
      this.st.insertSample.run(eid, s.key, s.sample.at, s.sample.id ?? null, JSON.stringify(s.sample), eid, s.key, s.limit);
    }
    for (const x of b.exchanges.values()) this.st.insertExchange.run(x.id, x.at, JSON.stringify(x), x.id);
    for (const l of b.sortedLatency()) {
      const j = l.sketch.toJSON();
      if (j.count === 0) continue;
      const eid = idOf(l.id);
      this.st.upsertLatency.run(eid, l.series, j.alpha, j.count, j.sum, j.min, j.max, j.zero);
      for (const [bucket, count] of sketchBuckets(j)) this.st.upsertBucket.run(eid, l.series, bucket, count);
    }
    for (const m of b.marks.values()) {
      if (m.mark) this.st.upsertMark.run(m.id.route, m.id.candidate, m.id.endpoint, m.key, m.mark, m.at);
      else this.st.deleteMark.run(m.id.route, m.id.candidate, m.id.endpoint, m.key);
    }
  }

  private loadSync(): Loaded {
    const all = <T>(s: Database.Statement) => s.all() as T[];
    return assemble({
      endpoints: all(this.st.selectEndpoints),
      fields: all(this.st.selectFields),
      samples: all(this.st.selectSamples),
      latency: all(this.st.selectLatency),
      buckets: all(this.st.selectBuckets),
      marks: all(this.st.selectMarks),
    });
  }

  protected load(): Promise<Loaded> {
    this.lastLoad = Date.now();
    return Promise.resolve(this.loadSync());
  }

  protected readExchange(id: string): Promise<SampleExchange | undefined> {
    const row = this.st.readExchange.get(id) as { data: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.data) as SampleExchange) : undefined);
  }

  private retainSync(now: number): number {
    const { maxAge, maxSamples } = this.settings;
    let deleted = 0;
    this.db.transaction(() => {
      if (maxAge > 0) {
        const cutoff = now - maxAge;
        this.st.retainEndpoints.run(cutoff);
        this.st.retainFields.run(cutoff);
        deleted += this.st.retainSamplesByAge.run(cutoff).changes;
      }
      if (maxSamples > 0) deleted += this.st.retainSamplesByCount.run(maxSamples).changes;
      this.st.retainExchanges.run();
    }).immediate();
    this.db.pragma('incremental_vacuum');
    if (this.location !== ':memory:') this.db.pragma('wal_checkpoint(TRUNCATE)');
    return deleted;
  }

  protected retain(now: number): Promise<number> {
    return Promise.resolve(this.retainSync(now));
  }

  protected release(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
