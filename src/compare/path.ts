/**
 * Paths inside a body and the JSONPath-like globs that select them.
 *
 * A path is a list of segments: an object key (string), an array index (number), a
 * byKey element ({@link KeyedSegment}) or any element of an unordered array
 * ({@link ANY_ELEMENT}). Differences print paths as `body.user.name`, `body.items[3]`,
 * `body.items[id=7]`, `body.tags[*]`; keys that are not plain names are quoted:
 * `body["a.b"]`.
 */

/** An element of a byKey array, printed `[key=value]`. */
export interface KeyedSegment {
  readonly key: string;
  /** The key's value as printed: numbers, booleans and null bare, strings JSON-quoted. */
  readonly value: string;
}

/** Any element of an unordered array, printed `[*]`. */
export const ANY_ELEMENT: unique symbol = Symbol('any element');

export type PathSegment = string | number | KeyedSegment | typeof ANY_ELEMENT;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Print one segment as it follows its parent. */
export function formatSegment(seg: PathSegment): string {
  if (typeof seg === 'string') return PLAIN_KEY.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  if (typeof seg === 'number') return `[${seg}]`;
  if (seg === ANY_ELEMENT) return '[*]';
  return `[${PLAIN_KEY.test(seg.key) ? seg.key : JSON.stringify(seg.key)}=${seg.value}]`;
}

/**
 * Print a path after a prefix.
 *
 * @example
 * ```ts
 * formatPath('body', ['items', 3, 'id']); // 'body.items[3].id'
 * ```
 */
export function formatPath(prefix: string, segs: readonly PathSegment[], extra?: PathSegment): string {
  let out = prefix;
  for (let i = 0; i < segs.length; i++) out += formatSegment(segs[i]);
  if (extra !== undefined) out += formatSegment(extra);
  return out;
}

// ---------------------------------------------------------------------------------------
// Globs: `$.a.b`, `$..name`, `$.items[*].etag`, `$.a.*.b`, `$.list[0]`, `$['odd key']`.
// Compiled to a small NFA over segments: each step matches one segment, `..` loops.

enum StepType {
  Key,
  Index,
  Any,
  Descend,
  End,
}

interface Step {
  t: StepType;
  k?: string;
  i?: number;
  /** For End steps: the index of the glob that ends here. */
  g?: number;
}

/**
 * A state of the glob automaton: the steps that can still match. States are interned per
 * {@link GlobSet} and remember their transitions, so walking a document costs one map
 * lookup per segment once the shapes have been seen.
 */
export interface GlobState {
  readonly ids: readonly number[];
  /** Lowest index of a glob matching exactly here, or -1. */
  readonly match: number;
  /** True when nothing can match at or below this point. */
  readonly dead: boolean;
  readonly next: Map<string | number | symbol, GlobState>;
}

/** Several globs compiled together. */
export interface GlobSet {
  readonly globs: readonly string[];
  readonly steps: readonly Step[];
  /** closure[id]: the ids reachable from id without consuming a segment. */
  readonly closure: readonly (readonly number[])[];
  readonly start: GlobState;
  readonly dead: GlobState;
  readonly states: Map<string, GlobState>;
}

/** Transitions remembered per state, and states interned per set, at most. */
const MAX_TRANSITIONS = 1024;
const MAX_STATES = 4096;

function parseGlob(glob: string): Step[] | string {
  const steps: Step[] = [];
  let s = glob.trim();
  if (s === '') return 'empty path';
  if (s.startsWith('$')) s = s.slice(1);
  else if (!s.startsWith('.') && !s.startsWith('[')) s = '.' + s;
  let i = 0;
  while (i < s.length) {
    let descend = false;
    if (s.startsWith('..', i)) {
      descend = true;
      i += 2;
      if (i >= s.length) return `"${glob}": ".." must be followed by a name`;
      if (s[i] === '.') return `"${glob}": unexpected "." at ${i}`;
    } else if (s[i] === '.') {
      i += 1;
    } else if (s[i] !== '[') {
      return `"${glob}": expected "." or "[" at ${i}`;
    }
    if (descend) steps.push({ t: StepType.Descend });
    if (s[i] === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) return `"${glob}": missing "]"`;
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ t: StepType.Any });
      else if (/^\d+$/.test(inner)) steps.push({ t: StepType.Index, i: Number(inner) });
      else if (/^'[^']*'$/.test(inner) || /^"[^"]*"$/.test(inner)) steps.push({ t: StepType.Key, k: inner.slice(1, -1) });
      else return `"${glob}": bad bracket "[${inner}]"`;
      continue;
    }
    let j = i;
    while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
    const name = s.slice(i, j);
    if (name === '') return `"${glob}": empty name at ${i}`;
    if (name.includes(']')) return `"${glob}": unexpected "]"`;
    steps.push(name === '*' ? { t: StepType.Any } : { t: StepType.Key, k: name });
    i = j;
  }
  return steps;
}

/**
 * Check one glob; returns an error message, or null when it is valid.
 *
 * @example
 * ```ts
 * validateGlob('$..updatedAt'); // null
 * validateGlob('$.items['); // '"$.items[": missing "]"'
 * ```
 */
export function validateGlob(glob: string): string | null {
  const r = parseGlob(glob);
  return typeof r === 'string' ? r : null;
}

function makeState(steps: readonly Step[], ids: readonly number[]): GlobState {
  let match = -1;
  for (const id of ids) {
    const st = steps[id];
    if (st.t === StepType.End && (match < 0 || (st.g as number) < match)) match = st.g as number;
  }
  return { ids, match, dead: ids.length === 0, next: new Map() };
}

function intern(set: GlobSet, ids: number[]): GlobState {
  if (ids.length === 0) return set.dead;
  const key = ids.join(',');
  let st = set.states.get(key);
  if (st === undefined) {
    st = makeState(set.steps, ids);
    if (set.states.size < MAX_STATES) set.states.set(key, st);
  }
  return st;
}

/**
 * Compile globs into one {@link GlobSet}. Invalid globs are skipped and their messages
 * returned in `errors`.
 */
export function compileGlobs(globs: readonly string[]): { set: GlobSet; errors: string[] } {
  const steps: Step[] = [];
  const starts: number[] = [];
  const errors: string[] = [];
  globs.forEach((glob, g) => {
    const parsed = parseGlob(glob);
    if (typeof parsed === 'string') {
      errors.push(parsed);
      return;
    }
    starts.push(steps.length);
    steps.push(...parsed, { t: StepType.End, g });
  });
  const closure: number[][] = [];
  for (let id = steps.length - 1; id >= 0; id--) {
    closure[id] = steps[id].t === StepType.Descend ? [id, ...closure[id + 1]] : [id];
  }
  const startIds = uniqSorted(starts.flatMap((id) => closure[id]));
  const dead = makeState(steps, []);
  const set: GlobSet = { globs: [...globs], steps, closure, start: dead, dead, states: new Map() };
  (set as { start: GlobState }).start = intern(set, startIds);
  return { set, errors };
}

function uniqSorted(ids: number[]): number[] {
  ids.sort((a, b) => a - b);
  let w = 0;
  for (let r = 0; r < ids.length; r++) if (r === 0 || ids[r] !== ids[r - 1]) ids[w++] = ids[r];
  ids.length = w;
  return ids;
}

function step(set: GlobSet, state: GlobState, seg: string | number | symbol): GlobState {
  const out: number[] = [];
  for (const id of state.ids) {
    const st = set.steps[id];
    if (st.t === StepType.Descend) out.push(...set.closure[id]);
    else if (st.t === StepType.Any || (st.t === StepType.Key && seg === st.k) || (st.t === StepType.Index && seg === st.i)) {
      out.push(...set.closure[id + 1]);
    }
  }
  return intern(set, uniqSorted(out));
}

/** The state after reading `seg` in `state`. */
export function advance(set: GlobSet, state: GlobState, seg: PathSegment): GlobState {
  if (state.dead) return state;
  // byKey and unordered elements match only `*` / `[*]`, like an index no glob names
  const key = typeof seg === 'object' ? ANY_ELEMENT : seg;
  let next = state.next.get(key);
  if (next === undefined) {
    next = step(set, state, key);
    if (state.next.size < MAX_TRANSITIONS) state.next.set(key, next);
  }
  return next;
}

/** The lowest index of a glob matching the whole path, or -1. */
export function matchPath(set: GlobSet, segs: readonly PathSegment[]): number {
  let state = set.start;
  for (let i = 0; i < segs.length && !state.dead; i++) state = advance(set, state, segs[i]);
  return state.match;
}
