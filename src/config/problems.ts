/**
 * Configuration problems: one per bad key or value, each with its file position, and the
 * error that carries them all.
 */
import { DoppelError, type ErrorCode } from '../core/errors.js';

/** A segment of a path into the configuration: a map key or a list index. */
export type PathSegment = string | number;

/**
 * One problem before it is given a position: the path of the offending node and the
 * complete message. `at: 'key'` points at the key of the last segment instead of its value.
 */
export interface Issue {
  path: PathSegment[];
  message: string;
  at?: 'key' | 'value';
}

/** One problem with its position. `line` and `col` are 1-based; 0 when not from a file. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** Path of the offending node, e.g. `routes[0].mirrors[1].timeout` (empty at the top). */
  path: string;
  message: string;
}

/** `file:line:col: message`, or the message alone when the problem has no position. */
export function formatProblem(p: ConfigProblem): string {
  return p.line > 0 ? `${p.file}:${p.line}:${p.col}: ${p.message}` : p.message;
}

/**
 * The error thrown for a configuration that cannot be used. `problems` lists every problem
 * found; the message is their `file:line:col: message` lines joined by newlines.
 *
 * @example
 * ```ts
 * try { loadConfigFile('doppel.yaml'); } catch (err) {
 *   if (err instanceof ConfigError) for (const p of err.problems) console.error(p.line, p.message);
 * }
 * ```
 */
export class ConfigError extends DoppelError {
  readonly problems: ConfigProblem[];
  constructor(code: ErrorCode, problems: ConfigProblem[]) {
    super(code, problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** `routes[0].mirrors[1].sample` for `['routes', 0, 'mirrors', 1, 'sample']`. */
export function pathString(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Sorts problems by position and drops exact duplicates. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const k = formatProblem(p);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.col - b.col);
}
