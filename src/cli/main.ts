/**
 * The `doppel` command line: run the proxy (quick mode flags or a YAML file), validate a
 * file, run the demo.
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { DoppelError } from '../core/errors.js';
import { runProxy } from './run.js';
import { runDemo } from './demo.js';
import { validateFiles } from './validate.js';
import { reportCommand } from './report.js';
import { storeCommand } from './store.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Builds the command tree (exported for tests of the help text). */
export function buildProgram(): Command {
  const program = new Command('doppel')
    .description('HTTP request mirroring and shadow testing proxy.\n\nServes every client from the primary and copies a sample of the traffic to mirror targets\n(fire and forget) or to candidates whose answers are compared with the primary\'s.')
    .version(pkg.version, '-v, --version')
    .enablePositionalOptions()
    .option('-c, --config <file>', 'YAML configuration file (flags override it)')
    .option('-l, --listen <addr>', 'proxy address, host:port (default 127.0.0.1:8080)')
    .option('--admin <addr>', 'admin address for /metrics, /healthz and the API, host:port or "off" (default 127.0.0.1:9090)')
    .option('-p, --primary <url>', 'primary upstream URL (quick mode: one catch-all route)')
    .option('-m, --mirror <url[|N%|N]>', 'mirror target; "|10%" samples 10%, "|50" caps at 50 req/s (repeatable)', collect)
    .option('--candidate <url>', 'shadow-test candidate compared with the primary (repeatable)', collect)
    .option('--secondary <url>', 'second copy of the primary, to tell noise from regressions')
    .option('--store <path|url>', 'result store: SQLite file or postgres:// URL')
    .addOption(new Option('-w, --workers <n|auto>', 'worker processes sharing the port (default 1)'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ doppel --primary http://127.0.0.1:3000 --mirror http://127.0.0.1:3001
  $ doppel --primary http://127.0.0.1:3000 --mirror 'http://127.0.0.1:3002|10%'
  $ doppel --config doppel.yaml --listen 0.0.0.0:8080
  $ doppel validate doppel.yaml
  $ doppel demo
  $ doppel report --store ./doppel.db --fail-on-regressions --format junit > report.xml
  $ doppel store clear --store ./doppel.db

Signals: SIGHUP reloads the configuration file (it is also watched for changes);
SIGTERM/SIGINT stop gracefully (in-flight requests finish, mirrors get a short grace).`,
    )
    .action(async (opts) => {
      await runProxy(opts);
    });

  program
    .command('validate')
    .description('check configuration files; prints file:line:col: message for every problem')
    .argument('<files...>', 'YAML configuration files')
    .action((files: string[]) => {
      process.exitCode = validateFiles(files, process.stdout, process.stderr);
    });

  program
    .command('demo')
    .description('start sample v1 and v2 backends, the proxy in front of v1 mirroring to v2, and send sample traffic')
    .option('--requests <n>', 'sample requests to send', '200')
    .option('--once', 'exit after the traffic instead of serving until Ctrl-C')
    .option('--port <n>', 'proxy port (0 = any free port)', '8080')
    .option('--admin-port <n>', 'admin port (0 = any free port)', '9090')
    .action(async (opts) => {
      await runDemo({ requests: Number(opts.requests), once: Boolean(opts.once), port: Number(opts.port), adminPort: Number(opts.adminPort) });
    });
  program.addCommand(reportCommand());
  program.addCommand(storeCommand());
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof DoppelError) {
      process.stderr.write(`doppel: ${err.message}\n`);
      process.exitCode = err.code === 'DOPPEL_ERR_USAGE' || err.code.startsWith('DOPPEL_ERR_CONFIG') ? 2 : 1;
      return;
    }
    process.stderr.write(`doppel: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}

await main();
