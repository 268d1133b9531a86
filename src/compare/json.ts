/**
 * Structural diff of two parsed JSON values: key order is irrelevant, numbers compare by
 * value (within `numericTolerance`), arrays by the mode of their path.
 */
import { pairMultiset } from './canon.js';
import { ANY_ELEMENT } from './path.js';
import type { KeyedSegment, PathSegment } from './path.js';
import { Kind, emit, kindOf, modeAt, newState, probeOf } from './state.js';
import type { DiffOptions, DiffState } from './state.js';
import type { ArrayMode, Difference } from './types.js';

const hasOwn = Object.prototype.hasOwnProperty;

function diffObject(p: Record<string, unknown>, c: Record<string, unknown>, st: DiffState): void {
  const path = st.path;
  const pk = Object.keys(p);
  let common = 0;
  for (let i = 0; i < pk.length; i++) {
    const k = pk[i];
    if (!hasOwn.call(c, k)) emit(st, 'missing', p[k], undefined, k);
    else {
      common++;
      path.push(k);
      diffValue(p[k], c[k], st);
      path.pop();
    }
    if (st.stop) return;
  }
  const ck = Object.keys(c);
  if (ck.length === common) return;
  for (let i = 0; i < ck.length; i++) {
    const k = ck[i];
    if (!hasOwn.call(p, k)) emit(st, 'extra', undefined, c[k], k);
    if (st.stop) return;
  }
}

function equalAt(st: DiffState, a: unknown, b: unknown, seg: PathSegment): boolean {
  const probe = probeOf(st);
  st.path.push(seg);
  diffValue(a, b, probe);
  st.path.pop();
  return !probe.stop;
}

function tolerancePairing(st: DiffState, p: readonly unknown[], c: readonly unknown[]) {
  return st.opts.numericTolerance > 0 ? (i: number, j: number) => equalAt(st, p[i], c[j], i) : undefined;
}

/**
 * True when `ps` and `cs`, the differing elements of an ordered array at the current
 * path, hold the same elements in another order (an `order` difference).
 */
export function sameElements(st: DiffState, ps: readonly unknown[], cs: readonly unknown[]): boolean {
  const un = pairMultiset(ps, cs, st.opts, st.path, tolerancePairing(st, ps, cs));
  return un.onlyPrimary.length === 0 && un.onlyCandidate.length === 0;
}

function diffOrdered(p: unknown[], c: unknown[], st: DiffState): void {
  const path = st.path;
  const n = Math.min(p.length, c.length);
  if (p.length !== c.length) {
    emit(st, 'size_changed', p.length, c.length);
    for (let i = 0; i < n && !st.stop; i++) {
      path.push(i);
      diffValue(p[i], c[i], st);
      path.pop();
    }
    for (let i = n; i < p.length && !st.stop; i++) emit(st, 'missing', p[i], undefined, i);
    for (let i = n; i < c.length && !st.stop; i++) emit(st, 'extra', undefined, c[i], i);
    return;
  }
  const mark = st.out.length;
  let differing: number[] | null = null;
  for (let i = 0; i < n; i++) {
    const before = st.out.length;
    path.push(i);
    diffValue(p[i], c[i], st);
    path.pop();
    if (st.stop) {
      if (st.probe) return;
      differing = null; // stopped early: check every element
      break;
    }
    if (st.out.length !== before) (differing ??= []).push(i);
  }
  if (st.out.length === mark && !st.stop) return;
  // A single differing index cannot be a reordering.
  if (differing !== null && differing.length < 2) return;
  // Something differs: when the arrays hold the same elements in another order, that is
  // one `order` difference rather than one per index. Equal pairs cancel out, so only the
  // differing indexes need to be matched.
  const ps = differing === null ? p : differing.map((i) => p[i]);
  const cs = differing === null ? c : differing.map((i) => c[i]);
  if (sameElements(st, ps, cs)) {
    st.out.length = mark;
    st.stop = false;
    emit(st, 'order', p, c);
  }
}

function diffUnordered(p: unknown[], c: unknown[], st: DiffState): void {
  if (st.probe && p.length !== c.length) {
    st.stop = true;
    return;
  }
  // Elements equal at the same index pair up at once (the common case); the rest are
  // matched as multisets.
  let restP: number[] | null = null;
  let restC: number[] | null = null;
  const n = Math.min(p.length, c.length);
  for (let i = 0; i < n; i++) {
    if (p[i] === c[i] || equalAt(st, p[i], c[i], i)) continue;
    (restP ??= []).push(i);
    (restC ??= []).push(i);
  }
  if (restP === null && p.length === c.length) return;
  for (let i = n; i < p.length; i++) (restP ??= []).push(i);
  for (let j = n; j < c.length; j++) (restC ??= []).push(j);
  const ps = (restP ?? []).map((i) => p[i]);
  const cs = (restC ?? []).map((j) => c[j]);
  const un = pairMultiset(ps, cs, st.opts, st.path, tolerancePairing(st, ps, cs));
  for (const i of un.onlyPrimary) {
    emit(st, 'missing', ps[i], undefined, ANY_ELEMENT);
    if (st.stop) return;
  }
  for (const j of un.onlyCandidate) {
    emit(st, 'extra', undefined, cs[j], ANY_ELEMENT);
    if (st.stop) return;
  }
}

/** The printed key value of a byKey element, or null when it has no usable key. */
function keyOf(el: unknown, key: string): string | null {
  if (kindOf(el) !== Kind.Object || !hasOwn.call(el, key)) return null;
  const v = (el as Record<string, unknown>)[key];
  switch (kindOf(v)) {
    case Kind.String:
      return JSON.stringify(v);
    case Kind.Number:
    case Kind.Bool:
    case Kind.Null:
      return String(v);
    default:
      return null;
  }
}

function diffByKey(p: unknown[], c: unknown[], st: DiffState, mode: ArrayMode & { mode: 'byKey' }): void {
  const key = mode.key;
  const byKey = new Map<string, number[]>();
  const restC: number[] = [];
  for (let j = 0; j < c.length; j++) {
    const kv = keyOf(c[j], key);
    if (kv === null) restC.push(j);
    else {
      const list = byKey.get(kv);
      if (list === undefined) byKey.set(kv, [j]);
      else list.push(j);
    }
  }
  const used = new Uint8Array(c.length);
  const restP: number[] = [];
  const matchedC: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const kv = keyOf(p[i], key);
    if (kv === null) {
      restP.push(i);
      continue;
    }
    const seg: KeyedSegment = { key, value: kv };
    const list = byKey.get(kv);
    const j = list === undefined ? undefined : list.shift();
    if (j === undefined) emit(st, 'missing', p[i], undefined, seg);
    else {
      used[j] = 1;
      matchedC.push(j);
      st.path.push(seg);
      diffValue(p[i], c[j], st);
      st.path.pop();
    }
    if (st.stop) return;
  }
  for (let j = 0; j < c.length; j++) {
    if (used[j] === 1) continue;
    const kv = keyOf(c[j], key);
    if (kv === null) continue;
    emit(st, 'extra', undefined, c[j], { key, value: kv });
    if (st.stop) return;
  }
  if (mode.order) {
    for (let n = 1; n < matchedC.length; n++) {
      if (matchedC[n] < matchedC[n - 1]) {
        const keys = (arr: unknown[]) => arr.map((el) => (kindOf(el) === Kind.Object ? (el as Record<string, unknown>)[key] : undefined));
        emit(st, 'order', keys(p), keys(c));
        if (st.stop) return;
        break;
      }
    }
  }
  if (restP.length > 0 || restC.length > 0) {
    diffUnordered(
      restP.map((i) => p[i]),
      restC.map((j) => c[j]),
      st,
    );
  }
}

function diffArray(p: unknown[], c: unknown[], st: DiffState): void {
  const mode = modeAt(st.opts, st.path);
  if (mode.mode === 'unordered') diffUnordered(p, c, st);
  else if (mode.mode === 'byKey') diffByKey(p, c, st, mode);
  else diffOrdered(p, c, st);
}

/** Diff two values at the current path of `st`. */
export function diffValue(p: unknown, c: unknown, st: DiffState): void {
  if (p === c) return;
  const kp = kindOf(p);
  const kc = kindOf(c);
  if (kp !== kc) {
    emit(st, 'type_changed', p, c);
    return;
  }
  switch (kp) {
    case Kind.Number:
      if (!(Math.abs((p as number) - (c as number)) <= st.opts.numericTolerance)) emit(st, 'changed', p, c);
      return;
    case Kind.Array:
      diffArray(p as unknown[], c as unknown[], st);
      return;
    case Kind.Object:
      diffObject(p as Record<string, unknown>, c as Record<string, unknown>, st);
      return;
    default:
      emit(st, 'changed', p, c);
  }
}

/** Options of {@link diffJson}; all optional. */
export interface DiffJsonOptions extends Partial<DiffOptions> {
  /** Printed before every path (default `body`). */
  prefix?: string;
  /** Keep at most this many differences (default 1000). */
  limit?: number;
}

/**
 * Structural diff of two parsed JSON values.
 *
 * @example
 * ```ts
 * diffJson({ a: 1, b: [1, 2] }, { b: [1, 2, 3], a: '1' });
 * // [ { path: 'body.a', kind: 'type_changed', primary: 1, candidate: '1' },
 * //   { path: 'body.b', kind: 'size_changed', primary: 2, candidate: 3 },
 * //   { path: 'body.b[2]', kind: 'extra', candidate: 3 } ]
 * ```
 */
export function diffJson(primary: unknown, candidate: unknown, options: DiffJsonOptions = {}): Difference[] {
  const opts: DiffOptions = {
    numericTolerance: options.numericTolerance ?? 0,
    arrays: options.arrays ?? { mode: 'ordered' },
    arraysAt: options.arraysAt ?? null,
    arrayModes: options.arrayModes ?? [],
  };
  const out: Difference[] = [];
  diffValue(primary, candidate, newState(opts, options.prefix ?? 'body', out, options.limit));
  return out;
}
