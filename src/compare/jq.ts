/**
 * jq expressions (real jq 1.8, compiled to WebAssembly by `jq-wasm`). The module is loaded
 * lazily, once, on first use, and shared by every comparison.
 *
 * Each jq run has a fixed start-up cost (about a millisecond), so all the expressions of
 * a comparison run in one invocation over both bodies; when that combined program cannot
 * be used (an expression that does not compile, or one that stops jq), each expression
 * runs on its own, on each body.
 */
import { JqError, loadJq } from 'jq-wasm';
import type { Jq } from 'jq-wasm';

let jqPromise: Promise<Jq> | null = null;
let loaded: Jq | null = null;

/** The shared jq instance (loaded on first call). */
export function getJq(): Promise<Jq> {
  if (jqPromise === null) {
    const p = loadJq();
    jqPromise = p;
    p.then(
      (jq) => {
        if (jqPromise === p) loaded = jq;
      },
      () => {
        // a failed load is retried on the next call
        if (jqPromise === p) jqPromise = null;
      },
    );
  }
  return jqPromise;
}

/**
 * Documents nested deeper than this are not given to jq: the WebAssembly build runs out of
 * stack on deep nesting (around 1,000 levels), which would also break the shared instance.
 */
export const MAX_JQ_DEPTH = 256;

/** Output flags: compact output keeps deep results linear in size. */
const FLAGS = ['-c'];

/**
 * The deepest nesting of arrays and objects in a JSON text (strings skipped).
 *
 * @example
 * ```ts
 * jsonDepth('{"a":[1,{"b":"[["}]}'); // 3
 * ```
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) max = depth;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return max;
}

/**
 * After an error that is not a jq error (the WebAssembly instance trapped), the instance
 * cannot be trusted any more: drop it so that the next use loads a fresh one.
 */
function checkCrash(jq: Jq, err: unknown): void {
  if (!(err instanceof JqError) && !(err instanceof TypeError)) {
    if (loaded === jq) {
      loaded = null;
      jqPromise = null;
    }
  }
}

/** What one expression gave on one body: its outputs, or an error message. */
export type JqSide = { ok: true; values: unknown[] } | { ok: false; error: string };

export interface JqOutcome {
  expr: string;
  primary: JqSide;
  candidate: JqSide;
}

const compileCache = new Map<string, string | null>();
const MAX_COMPILE_CACHE = 1000;
/** jq exits with 3 on a compile error. */
const JQ_COMPILE_ERROR = 3;

function cleanError(stderr: string): string {
  return stderr
    .replace(/^jq: error \(at [^)]*\): /, '')
    .replace(/^jq: error: /, '')
    .trim();
}

function compileError(jq: Jq, expr: string): string | null {
  const cached = compileCache.get(expr);
  if (cached !== undefined) return cached;
  let result: string | null = null;
  if (expr.trim() === '') result = 'empty jq expression';
  else {
    try {
      const r = jq.raw(null, expr);
      if (r.exitCode === JQ_COMPILE_ERROR) result = cleanError(r.stderr) || 'jq compile error';
    } catch (err) {
      checkCrash(jq, err);
      return `jq failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (compileCache.size >= MAX_COMPILE_CACHE) compileCache.clear();
  compileCache.set(expr, result);
  return result;
}

/**
 * Check a jq expression without running it on data: returns the compile error message,
 * or null when it compiles. Use it when validating configuration.
 *
 * @example
 * ```ts
 * await validateJq('.items | length'); // null
 * await validateJq('.items |');        // 'syntax error, unexpected end of file ...'
 * ```
 */
export async function validateJq(expr: string): Promise<string | null> {
  let jq: Jq;
  try {
    jq = await getJq();
  } catch (err) {
    return `jq could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
  return compileError(jq, expr);
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'stderr' in err && typeof (err as { stderr: unknown }).stderr === 'string') {
    const s = cleanError((err as { stderr: string }).stderr);
    if (s !== '') return s;
  }
  return err instanceof Error ? err.message : String(err);
}

function runOne(jq: Jq, input: string, expr: string): JqSide {
  try {
    return { ok: true, values: jq.json(input, expr, FLAGS) };
  } catch (err) {
    checkCrash(jq, err);
    return { ok: false, error: errorText(err) };
  }
}

function sideOf(v: unknown): JqSide | null {
  if (v === null || typeof v !== 'object') return null;
  const o = v as { ok?: unknown; err?: unknown };
  if (Array.isArray(o.ok)) return { ok: true, values: o.ok };
  if ('err' in o) return { ok: false, error: typeof o.err === 'string' ? o.err : JSON.stringify(o.err) };
  return null;
}

/** Run all expressions over both inputs in one jq invocation; null when that fails. */
function runCombined(jq: Jq, exprs: readonly string[], primary: string, candidate: string): JqOutcome[] | null {
  // A newline ends each expression so that a trailing `# comment` stays inside it.
  const program = '[' + exprs.map((e) => `(try {"ok": [(${e}\n)]} catch {"err": .})`).join(', ') + ']';
  let outputs: unknown[];
  try {
    outputs = jq.json(`${primary}\n${candidate}`, program, FLAGS);
  } catch (err) {
    checkCrash(jq, err);
    return null;
  }
  if (outputs.length !== 2) return null;
  const [p, c] = outputs;
  if (!Array.isArray(p) || !Array.isArray(c) || p.length !== exprs.length || c.length !== exprs.length) return null;
  const result: JqOutcome[] = [];
  for (let i = 0; i < exprs.length; i++) {
    const ps = sideOf(p[i]);
    const cs = sideOf(c[i]);
    if (ps === null || cs === null) return null;
    result.push({ expr: exprs[i], primary: ps, candidate: cs });
  }
  return result;
}

/**
 * Run jq expressions on two JSON texts. Never throws for jq errors: a failing expression
 * gives `{ ok: false, error }` on the side where it failed. Rejects only when jq itself
 * cannot be loaded.
 *
 * @example
 * ```ts
 * const [r] = await runJq(['.user.name'], '{"user":{"name":"a"}}', '{"user":{"name":"b"}}');
 * // r.primary: { ok: true, values: ['a'] }, r.candidate: { ok: true, values: ['b'] }
 * ```
 */
export async function runJq(exprs: readonly string[], primary: string, candidate: string): Promise<JqOutcome[]> {
  const jq = await getJq();
  const tooDeep = (text: string): JqSide | null =>
    jsonDepth(text) > MAX_JQ_DEPTH ? { ok: false, error: `document nested deeper than ${MAX_JQ_DEPTH} levels` } : null;
  const pDeep = tooDeep(primary);
  const cDeep = tooDeep(candidate);
  if (pDeep !== null || cDeep !== null) {
    return exprs.map((expr) => ({
      expr,
      primary: pDeep ?? runOne(jq, primary, expr),
      candidate: cDeep ?? runOne(jq, candidate, expr),
    }));
  }
  const compileErrors = exprs.map((e) => compileError(jq, e));
  if (compileErrors.every((e) => e === null)) {
    const combined = runCombined(jq, exprs, primary, candidate);
    if (combined !== null) return combined;
  }
  return exprs.map((expr, i) => {
    const ce = compileErrors[i];
    if (ce !== null) return { expr, primary: { ok: false, error: ce }, candidate: { ok: false, error: ce } };
    return { expr, primary: runOne(jq, primary, expr), candidate: runOne(jq, candidate, expr) };
  });
}
