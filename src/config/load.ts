/**
 * Loading a configuration: YAML parsing (keeping node positions), `${ENV}` interpolation,
 * schema validation, cross-key checks and resolution. Every problem is reported with the
 * `file:line:col` of the node it concerns.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { crossChecks } from './checks.js';
import { applyOverrides, type FlagOptions } from './flags.js';
import { interpolateDocument } from './interpolate.js';
import { fromZodIssues } from './issues.js';
import { Locator } from './locate.js';
import { ConfigError, pathString, sortProblems, type ConfigProblem, type Issue } from './problems.js';
import { resolveConfig } from './resolve.js';
import { configSchema } from './schema.js';
import type { ResolvedConfig } from './types.js';

/** Environment variables used for `${NAME}` interpolation. */
export type Env = Record<string, string | undefined>;

/** Options of {@link loadConfigFile}. */
export interface LoadOptions {
  /** Variables for `${NAME}` (default `process.env`). */
  env?: Env;
  /** Command-line flags applied on top of the file (see {@link applyOverrides}). */
  overrides?: FlagOptions;
}

/** Reads, validates and resolves a YAML configuration file. */
export function loadConfigFile(file: string, options: LoadOptions = {}): ResolvedConfig {
  const path = resolvePath(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'configuration file not found' : `cannot read configuration file (${e.code ?? e.message})`;
    throw new ConfigError('DOPPEL_ERR_CONFIG_NOT_FOUND', [{ file: path, line: 0, col: 0, path: '', message: `${why}: ${path}` }]);
  }
  const config = parseWithBase(text, file, options.env ?? process.env, dirname(path));
  config.file = path;
  return options.overrides ? applyOverrides(config, options.overrides) : config;
}

/**
 * Parses, validates and resolves configuration text. `file` names the source in messages.
 * A relative `store` path is kept as written (files resolve it against their directory).
 */
export function parseConfig(text: string, file = '<config>', env: Env = process.env): ResolvedConfig {
  return parseWithBase(text, file, env, undefined);
}

const MESSAGE_FIXES: [RegExp, string][] = [
  [/^Source contains multiple documents.*/, 'a configuration file holds a single YAML document; remove the "---" separator'],
];

function parseWithBase(text: string, file: string, env: Env, baseDir: string | undefined): ResolvedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const locator = new Locator(doc, lines, file);
  const at = (offset: number, message: string, path = ''): ConfigProblem => ({ file, ...locator.offsetPosition(offset), path, message });

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      let message = e.message;
      for (const [re, fix] of MESSAGE_FIXES) message = message.replace(re, fix);
      return at(e.pos[0], message);
    });
    throw new ConfigError('DOPPEL_ERR_CONFIG_PARSE', sortProblems(problems));
  }

  const envProblems = interpolateDocument(doc, env, text);
  if (envProblems.length > 0) {
    throw new ConfigError('DOPPEL_ERR_CONFIG_ENV', sortProblems(envProblems.map((p) => at(p.offset, p.message))));
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError('DOPPEL_ERR_CONFIG_PARSE', [at(0, (err as Error).message)]);
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError('DOPPEL_ERR_CONFIG_INVALID', [at(0, 'configuration is empty; it needs at least a routes list')]);
  }

  // Top-level keys starting with "x-" are free, to hold YAML anchors.
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    for (const key of Object.keys(raw as object)) if (key.startsWith('x-')) delete (raw as Record<string, unknown>)[key];
  }

  const issues: Issue[] = [];
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) issues.push(...fromZodIssues(parsed.error.issues, raw, pathString));
  issues.push(...crossChecks(raw, pathString));
  let config: ResolvedConfig | undefined;
  if (parsed.success && issues.length === 0) {
    config = resolveConfig(parsed.data, { baseDir, label: pathString, report: (issue) => issues.push(issue) });
  }
  if (issues.length > 0 || !config) {
    throw new ConfigError('DOPPEL_ERR_CONFIG_INVALID', sortProblems(issues.map((i) => locator.problem(i))));
  }
  return config;
}
