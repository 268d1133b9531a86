/**
 * Rules compiled once per rules object (ignore globs, per-path array modes, header lists)
 * and the removal of ignored paths from a body before it is compared.
 */
import { BODY_DERIVED_HEADERS, DEFAULT_IGNORED_HEADERS, PRESENCE_ONLY_HEADERS, mergeRules } from './defaults.js';
import type { PartialCompareRules } from './defaults.js';
import { advance, compileGlobs } from './path.js';
import type { GlobSet, GlobState } from './path.js';
import type { DiffOptions } from './state.js';
import type { ArrayMode, CompareRules } from './types.js';

/** A set of header names: exact names plus `prefix*` entries. */
export interface HeaderNameSet {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
}

/** Everything a comparison needs from its rules, prepared once. */
export interface CompiledRules {
  rules: CompareRules;
  /** Ignore globs; null when there are none. */
  ignore: GlobSet | null;
  /** `arraysAt` globs; null when there are none. `arrayModes[i]` belongs to glob i. */
  arraysAt: GlobSet | null;
  arrayModes: readonly ArrayMode[];
  /** The options of structural diffs under these rules. */
  diff: DiffOptions;
  /** Built-in plus user header ignore lists. */
  headerIgnore: HeaderNameSet;
  /** User ignore list alone (applies to included headers too). */
  headerUserIgnore: HeaderNameSet;
  presenceOnly: ReadonlySet<string>;
  bodyDerived: ReadonlySet<string>;
  include: ReadonlySet<string> | null;
  /** Problems found while compiling (invalid globs); reported as notes. */
  notes: readonly string[];
}

const cache = new WeakMap<object, CompiledRules>();
let defaultCompiled: CompiledRules | null = null;

/** Build a header name set from a list where `name*` means any header starting with `name`. */
export function headerNameSet(names: readonly string[]): HeaderNameSet {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of names) {
    const n = raw.trim().toLowerCase();
    if (n.endsWith('*')) prefixes.push(n.slice(0, -1));
    else if (n !== '') exact.add(n);
  }
  return { exact, prefixes };
}

/** True when `name` (lower-case) is in the set. */
export function inHeaderSet(set: HeaderNameSet, name: string): boolean {
  if (set.exact.has(name)) return true;
  for (let i = 0; i < set.prefixes.length; i++) if (name.startsWith(set.prefixes[i])) return true;
  return false;
}

function build(input: PartialCompareRules | CompareRules | undefined): CompiledRules {
  const rules = mergeRules(input as PartialCompareRules | undefined);
  const notes: string[] = [];
  let ignore: GlobSet | null = null;
  if (rules.ignore.length > 0) {
    const c = compileGlobs(rules.ignore);
    for (const e of c.errors) notes.push(`invalid ignore path ${e}`);
    if (c.set.steps.length > 0) ignore = c.set;
  }
  let arraysAt: GlobSet | null = null;
  const arrayModes: ArrayMode[] = [];
  if (rules.arraysAt.length > 0) {
    const c = compileGlobs(rules.arraysAt.map((a) => a.path));
    for (const e of c.errors) notes.push(`invalid arraysAt path ${e}`);
    if (c.set.steps.length > 0) arraysAt = c.set;
    for (const a of rules.arraysAt) arrayModes.push(a.mode);
  }
  return {
    rules,
    ignore,
    arraysAt,
    arrayModes,
    diff: { numericTolerance: rules.numericTolerance, arrays: rules.arrays, arraysAt, arrayModes },
    headerIgnore: headerNameSet([...DEFAULT_IGNORED_HEADERS, ...rules.headers.ignore]),
    headerUserIgnore: headerNameSet(rules.headers.ignore),
    presenceOnly: new Set(PRESENCE_ONLY_HEADERS),
    bodyDerived: new Set(BODY_DERIVED_HEADERS),
    include: rules.headers.include ? new Set(rules.headers.include.map((n) => n.toLowerCase())) : null,
    notes,
  };
}

/**
 * Merge and compile rules, once per rules object: the result is cached by the identity of
 * `input` (a WeakMap), so pass the same object for every comparison of a route and do not
 * change it afterwards. Without `input`, the default rules.
 *
 * @example
 * ```ts
 * const route = { ignore: ['$..updatedAt'] };
 * compileRules(route) === compileRules(route); // true
 * ```
 */
export function compileRules(input?: PartialCompareRules | CompareRules | null): CompiledRules {
  if (input === undefined || input === null) return (defaultCompiled ??= build(undefined));
  let c = cache.get(input);
  if (c === undefined) {
    c = build(input);
    cache.set(input, c);
  }
  return c;
}

/** Returned by {@link stripIgnored} when the whole value is ignored (glob `$`). */
export const REMOVED: unique symbol = Symbol('removed');

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** A copy of `obj` holding its first `count` keys. */
function copyHead(obj: Record<string, unknown>, keys: readonly string[], count: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) setOwn(out, keys[i], obj[keys[i]]);
  return out;
}

function stripIn(value: unknown, set: GlobSet, state: GlobState): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const el = value[i];
      const next = advance(set, state, i);
      let nv = el;
      if (!next.dead) {
        if (next.match >= 0) {
          out ??= value.slice(0, i);
          continue;
        }
        nv = stripIn(el, set, next);
      }
      if (nv !== el) out ??= value.slice(0, i);
      if (out !== null) out.push(nv);
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let out: Record<string, unknown> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const el = obj[key];
    const next = advance(set, state, key);
    let nv = el;
    if (!next.dead) {
      if (next.match >= 0) {
        out ??= copyHead(obj, keys, i);
        continue;
      }
      nv = stripIn(el, set, next);
    }
    if (nv !== el) out ??= copyHead(obj, keys, i);
    if (out !== null) setOwn(out, key, nv);
  }
  return out ?? value;
}

/** {@link stripIgnored} below a path whose glob state is `state` (not matched itself). */
export function stripAt(value: unknown, set: GlobSet, state: GlobState): unknown {
  return state.dead ? value : stripIn(value, set, state);
}

/**
 * Remove every path matched by `set` from a parsed JSON value. The input is not changed:
 * containers on the way to a removed path are copied. Returns {@link REMOVED} when the
 * root itself is matched.
 *
 * @example
 * ```ts
 * const { ignore } = compileRules({ ignore: ['$..updatedAt'] });
 * stripIgnored({ a: { updatedAt: 1, b: 2 } }, ignore!); // { a: { b: 2 } }
 * ```
 */
export function stripIgnored(value: unknown, set: GlobSet): unknown {
  if (set.start.match >= 0) return REMOVED;
  return stripIn(value, set, set.start);
}
