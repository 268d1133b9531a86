/**
 * A throwaway PostgreSQL server for tests: a new cluster (`initdb`) in a temp directory,
 * started with `pg_ctl` on a free loopback port and removed afterwards. As root, the
 * server runs as the `postgres` user. `DOPPEL_TEST_POSTGRES_URL` uses an existing server
 * instead. Without PostgreSQL binaries, {@link startPostgres} returns the reason to skip.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** URL of the server's `postgres` database. */
  url: string;
  /** A URL of a new, empty database. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function binDir(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function withUrlDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function serverFrom(url: string, stop: () => Promise<void>): Promise<PostgresServer> {
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name}`);
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return withUrlDatabase(url, name);
    },
    stop,
  };
}

/**
 * Starts a server, or returns why it cannot. With `CI` set, missing binaries are an
 * error: the PostgreSQL half of the tests must not be skipped silently there.
 */
export async function startPostgres(): Promise<PostgresServer | { skip: string }> {
  const existing = process.env.DOPPEL_TEST_POSTGRES_URL;
  if (existing) return serverFrom(existing, async () => {});
  const bin = binDir();
  if (bin === null) {
    const message = 'PostgreSQL binaries (initdb, pg_ctl) not found; install them with `apt-get install -y postgresql` or set DOPPEL_TEST_POSTGRES_URL';
    if (process.env.CI) throw new Error(message);
    return { skip: message };
  }
  const dir = mkdtempSync(join(tmpdir(), 'doppel-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]): void => {
    const file = join(bin, cmd);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'pipe' });
    else execFileSync(file, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'doppel', '-E', 'UTF8', '--no-sync']);
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`, 'start']);
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot start PostgreSQL: ${e.stderr?.toString() || e.message}`);
  }
  return serverFrom(`postgres://doppel@127.0.0.1:${port}/postgres`, async () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
