/**
 * Redaction of everything the shadow report keeps: header values (`authorization`,
 * `cookie`, `set-cookie`, `proxy-authorization` and configured names) and values at
 * configured JSON paths of bodies (`$.user.password`, `$..token`, `$.items[*].secret`).
 * Redacted values become `[redacted]` before they reach a sample, the store or a log line.
 */
import { REDACTED, type RedactFn } from './aggregate-report.js';

export { REDACTED };

/** Header names redacted whatever the configuration says. */
export const ALWAYS_REDACTED_HEADERS = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization'] as const;

/** What to redact on top of the built-in headers. */
export interface RedactOptions {
  /** Header names (any case). */
  headers?: readonly string[];
  /** JSON paths of body values: `$.a.b`, `$..name`, `$.items[*].x`, `$.list[0]`, `$['odd key']`. */
  paths?: readonly string[];
}

/** Redaction compiled once. */
export interface Redactor {
  /** For difference values: `path` is the difference path (`header.<name>`, `body.a.b`, ...). */
  readonly value: RedactFn;
  /** A copy of a header record with sensitive values replaced. */
  headers(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string | string[]>;
  /** A copy of a parsed JSON body with the values at the configured paths replaced. */
  body(json: unknown): unknown;
  /** True when JSON paths are configured. */
  readonly hasPaths: boolean;
  /** True when the header (any case) is redacted. */
  isSecretHeader(name: string): boolean;
}

type Step = { t: 'key'; k: string } | { t: 'index'; i: number } | { t: 'any' } | { t: 'descend' } | { t: 'end' };
/** A path segment: object key, array index, or an array element known only by a key selector. */
type Segment = string | number | { element: true };
/** Active positions: glob index and step index. */
type States = [number, number][];

/** Parses one glob; throws a `TypeError` naming the problem. */
export function parseRedactPath(glob: string): Step[] {
  let s = glob.trim();
  if (s.startsWith('$')) s = s.slice(1);
  else if (!s.startsWith('.') && !s.startsWith('[')) s = '.' + s;
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('..', i)) {
      steps.push({ t: 'descend' });
      i += 2;
      if (s[i] === '[') continue;
    } else if (s[i] === '.') i += 1;
    if (s[i] === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) throw new TypeError(`redact path "${glob}": missing "]"`);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ t: 'any' });
      else if (/^\d+$/.test(inner)) steps.push({ t: 'index', i: Number(inner) });
      else if (/^'[^']*'$|^"[^"]*"$/.test(inner)) steps.push({ t: 'key', k: inner.slice(1, -1) });
      else throw new TypeError(`redact path "${glob}": bad bracket "[${inner}]"`);
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
    const name = s.slice(i, j);
    if (name === '') throw new TypeError(`redact path "${glob}": empty name at ${i}`);
    steps.push(name === '*' ? { t: 'any' } : { t: 'key', k: name });
    i = j;
  }
  if (steps.length === 0) throw new TypeError(`redact path "${glob}": empty path`);
  steps.push({ t: 'end' });
  return steps;
}

/**
 * The segments of a difference path after `body` (`body.a["b.c"][3][id=7]` gives
 * `a`, `b.c`, 3 and an element); `null` when the path is not a body path.
 */
export function bodySegments(path: string): Segment[] | null {
  if (path !== 'body' && !path.startsWith('body.') && !path.startsWith('body[')) return null;
  const segs: Segment[] = [];
  let i = 4;
  while (i < path.length) {
    if (path[i] === '.') {
      let j = i + 1;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      segs.push(path.slice(i + 1, j));
      i = j;
    } else if (path[i] === '[') {
      if (path[i + 1] === '"') {
        let j = i + 2;
        while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
        try {
          segs.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
        } catch {
          return segs;
        }
        i = j + 2;
        continue;
      }
      let j = i + 1;
      while (j < path.length && path[j] !== ']') j += path[j] === '"' ? skipQuoted(path, j) : 1;
      const inner = path.slice(i + 1, j);
      segs.push(/^\d+$/.test(inner) ? Number(inner) : { element: true });
      i = j + 1;
    } else return segs;
  }
  return segs;
}

function skipQuoted(path: string, start: number): number {
  let j = start + 1;
  while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
  return j + 1 - start;
}

function matches(step: Step, seg: Segment): boolean {
  if (step.t === 'any') return true;
  if (step.t === 'key') return typeof seg === 'string' && seg === step.k;
  if (step.t === 'index') return seg === step.i;
  return false;
}

/**
 * Compiles the redaction.
 *
 * @example
 * ```ts
 * const r = createRedactor({ headers: ['x-api-key'], paths: ['$..password'] });
 * r.value('header.x-api-key', 'k'); // '[redacted]'
 * r.body({ user: { password: 'p', name: 'n' } }); // { user: { password: '[redacted]', name: 'n' } }
 * ```
 */
export function createRedactor(options: RedactOptions = {}): Redactor {
  const secret = new Set<string>([...ALWAYS_REDACTED_HEADERS, ...(options.headers ?? []).map((h) => h.toLowerCase())]);
  const globs = (options.paths ?? []).map(parseRedactPath);
  const closure = (out: States, g: number, i: number): void => {
    out.push([g, i]);
    if (globs[g][i].t === 'descend') closure(out, g, i + 1);
  };
  const start: States = [];
  globs.forEach((_, g) => closure(start, g, 0));
  const advance = (states: States, seg: Segment): States => {
    const out: States = [];
    for (const [g, i] of states) {
      const st = globs[g][i];
      if (st.t === 'descend') closure(out, g, i);
      else if (matches(st, seg)) closure(out, g, i + 1);
    }
    const seen = new Set<string>();
    return out.filter(([g, i]) => !seen.has(`${g}:${i}`) && !!seen.add(`${g}:${i}`));
  };
  const matched = (states: States): boolean => states.some(([g, i]) => globs[g][i].t === 'end');
  const walk = (value: unknown, states: States): unknown => {
    if (states.length === 0) return value;
    if (matched(states)) return REDACTED;
    if (Array.isArray(value)) return value.map((v, i) => walk(v, advance(states, i)));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = walk(v, advance(states, k));
      return out;
    }
    return value;
  };
  const isSecretHeader = (name: string): boolean => secret.has(name.toLowerCase());
  return {
    hasPaths: globs.length > 0,
    isSecretHeader,
    value: (path, value) => {
      if (value === undefined) return value;
      if (path.toLowerCase().startsWith('header.')) return isSecretHeader(path.slice(7)) ? REDACTED : value;
      if (globs.length === 0) return value;
      const segs = bodySegments(path);
      if (segs === null) return value;
      let states = start;
      for (const seg of segs) {
        if (states.length === 0) return value;
        if (matched(states)) return REDACTED;
        states = advance(states, seg);
      }
      return walk(value, states);
    },
    headers: (headers) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, v] of Object.entries(headers)) {
        if (v === undefined) continue;
        out[name] = isSecretHeader(name) ? REDACTED : Array.isArray(v) ? [...v] : v;
      }
      return out;
    },
    body: (json) => walk(json, start),
  };
}
