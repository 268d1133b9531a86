/**
 * `doppel report`: prints the shadow-testing report (text, JSON, Markdown or JUnit) from
 * a store or a running doppel and gates a CI build on it. Exit codes: 0 pass, 1 the gate
 * fails, 2 usage errors (including a report that cannot be read).
 */
import { Command, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { DoppelError } from '../core/errors.js';
import { formatJunit } from '../report/format-junit.js';
import { formatMarkdown } from '../report/format-markdown.js';
import { formatJson, formatText } from '../report/format-text.js';
import { evaluateGate, parseRate, type GateReport } from '../report/gate.js';
import { loadConfig, rowsFromAdmin, rowsFromStore, storeLocation } from './report-source.js';

export interface ReportOptions {
  store?: string;
  admin?: string;
  config?: string;
  format: 'text' | 'json' | 'markdown' | 'junit';
  failOnRegressions?: boolean;
  maxRegressionRate?: string;
  minCompared?: string;
  endpoint?: string[];
  token?: string;
  output?: string;
}

const FORMATS: Record<ReportOptions['format'], (r: GateReport) => string> = { text: formatText, json: formatJson, markdown: formatMarkdown, junit: formatJunit };
const usage = (message: string) => new DoppelError('DOPPEL_ERR_USAGE', message);

/**
 * Builds and prints the report; resolves with the exit code (0 or 1). Usage errors throw
 * a `DOPPEL_ERR_USAGE` error (exit 2).
 */
export async function runReport(opts: ReportOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (opts.admin && (opts.store || opts.config)) throw usage('give either --admin or --store/--config, not both');
  const rate = opts.maxRegressionRate === undefined ? null : parseRate(opts.maxRegressionRate);
  if (opts.maxRegressionRate !== undefined && rate === null) throw usage(`--max-regression-rate: expected a rate such as 0.1% or 0.001, got "${opts.maxRegressionRate}"`);
  const minCompared = opts.minCompared === undefined ? 0 : Number(opts.minCompared);
  if (!Number.isInteger(minCompared) || minCompared < 0) throw usage(`--min-compared: expected an integer >= 0, got "${opts.minCompared}"`);
  let rows;
  let source: string;
  if (opts.admin) {
    source = opts.admin;
    rows = await rowsFromAdmin(opts.admin, opts.token ?? process.env.DOPPEL_ADMIN_TOKEN);
  } else {
    const config = loadConfig(opts.config);
    source = storeLocation(opts, config);
    rows = await rowsFromStore(source, config);
  }
  const report = evaluateGate(rows, { failOnRegressions: Boolean(opts.failOnRegressions), maxRegressionRate: rate, minCompared, endpoints: opts.endpoint ?? [] }, source.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'));
  const text = FORMATS[opts.format](report);
  if (opts.output) writeFileSync(opts.output, text);
  else out.write(text);
  return report.passed ? 0 : 1;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The `report` command. */
export function reportCommand(): Command {
  return new Command('report')
    .description('print the shadow-testing report and gate a CI build on it\n(exit 0: pass, 1: the gate fails, 2: usage error or the report cannot be read)')
    .option('--store <file|url>', 'read the report from a store: SQLite file or postgres:// URL')
    .option('--admin <url>', "read the report from a running doppel's admin API, e.g. http://127.0.0.1:9090")
    .option('-c, --config <file>', "configuration file: its store and the routes' noise thresholds")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown', 'junit']).default('text'))
    .option('--fail-on-regressions', 'fail when any endpoint regresses')
    .option('--max-regression-rate <rate>', 'fail when an endpoint regresses on more than this share of its compared requests (e.g. 0.1%)')
    .option('--min-compared <n>', 'fail when fewer requests than this were compared in all')
    .option('--endpoint <glob>', 'only endpoints whose name matches (e.g. "GET /api/*"; repeatable)', collect)
    .option('--token <token>', 'admin API token (default $DOPPEL_ADMIN_TOKEN)')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addHelpText('after', `
Examples:
  $ doppel report --store ./doppel.db
  $ doppel report --store ./doppel.db --fail-on-regressions --format junit > report.xml
  $ doppel report --admin http://127.0.0.1:9090 --max-regression-rate 0.1% --format markdown`)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (opts: ReportOptions) => {
      process.exitCode = await runReport(opts);
    });
}
