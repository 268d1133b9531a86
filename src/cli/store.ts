/**
 * `doppel store clear`: removes the results (and with `--marks` the field marks) from a
 * store file or database.
 */
import { Command } from 'commander';
import { loadConfig, openQuietly, storeLocation } from './report-source.js';

/** Clears a store; resolves with the message printed. */
export async function clearStore(opts: { store?: string; config?: string; marks?: boolean }): Promise<string> {
  const location = storeLocation(opts, loadConfig(opts.config));
  const store = await openQuietly(location);
  try {
    store.clear();
    if (opts.marks) store.clearMarks();
    await store.flush();
  } finally {
    await store.close();
  }
  return `cleared the results${opts.marks ? ' and marks' : ''} of ${store.location}`;
}

/** The `store` command and its subcommands. */
export function storeCommand(): Command {
  const store = new Command('store').description('manage the result store');
  store
    .command('clear')
    .description('remove every result (counters, samples, latency) from the store; marks stay unless --marks')
    .option('--store <file|url>', 'SQLite file or postgres:// URL')
    .option('-c, --config <file>', 'configuration file whose store to clear')
    .option('--marks', 'also remove the field marks')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (opts: { store?: string; config?: string; marks?: boolean }) => {
      process.stdout.write(`${await clearStore(opts)}\n`);
    });
  return store;
}
