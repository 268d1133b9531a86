/**
 * Canonical keys of JSON values and multiset matching of array elements.
 *
 * Two values have the same canonical key when they are equal under the array modes of
 * their paths, ignoring key order (numeric tolerance aside, which is handled by a second,
 * pairwise pass).
 */
import type { PathSegment } from './path.js';
import { Kind, kindOf, modeAt } from './state.js';
import type { DiffOptions } from './state.js';

function canonArray(arr: unknown[], opts: DiffOptions, path: PathSegment[]): string {
  const mode = modeAt(opts, path);
  const parts: string[] = new Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    path.push(i);
    parts[i] = canonical(arr[i], opts, path);
    path.pop();
  }
  if (mode.mode === 'unordered' || (mode.mode === 'byKey' && !mode.order)) parts.sort();
  return '[' + parts.join(',') + ']';
}

/** The canonical key of `v` at `path` (the path is restored on return). */
export function canonical(v: unknown, opts: DiffOptions, path: PathSegment[]): string {
  switch (kindOf(v)) {
    case Kind.Null:
      return 'null';
    case Kind.Bool:
      return v ? 'true' : 'false';
    case Kind.Number:
      return String(v);
    case Kind.String:
      return JSON.stringify(v);
    case Kind.Array:
      return canonArray(v as unknown[], opts, path);
    case Kind.Object: {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let s = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        path.push(k);
        s += (i > 0 ? ',' : '') + JSON.stringify(k) + ':' + canonical(obj[k], opts, path);
        path.pop();
      }
      return s + '}';
    }
    default:
      return 'undefined';
  }
}

/** Upper bound on pairwise comparisons in the tolerance pass of {@link pairMultiset}. */
const MAX_PAIRWISE = 250_000;

/** Indexes of the elements left without a partner on each side. */
export interface Unpaired {
  onlyPrimary: number[];
  onlyCandidate: number[];
}

/**
 * Pair the elements of two arrays (at the current `path`) as multisets. Exact matches are
 * found by canonical key; when `equal` is given, the elements left over are then paired
 * greedily with it (used for numeric tolerance).
 */
export function pairMultiset(
  p: readonly unknown[],
  c: readonly unknown[],
  opts: DiffOptions,
  path: PathSegment[],
  equal?: (pi: number, cj: number) => boolean,
): Unpaired {
  const buckets = new Map<string, number[]>();
  for (let j = c.length - 1; j >= 0; j--) {
    path.push(j);
    const key = canonical(c[j], opts, path);
    path.pop();
    const list = buckets.get(key);
    if (list === undefined) buckets.set(key, [j]);
    else list.push(j);
  }
  const onlyPrimary: number[] = [];
  const used = new Uint8Array(c.length);
  for (let i = 0; i < p.length; i++) {
    path.push(i);
    const key = canonical(p[i], opts, path);
    path.pop();
    const list = buckets.get(key);
    const j = list === undefined ? undefined : list.pop();
    if (j === undefined) onlyPrimary.push(i);
    else used[j] = 1;
  }
  let onlyCandidate: number[] = [];
  for (let j = 0; j < c.length; j++) if (used[j] === 0) onlyCandidate.push(j);
  if (equal && onlyPrimary.length > 0 && onlyCandidate.length > 0) {
    if (onlyPrimary.length * onlyCandidate.length <= MAX_PAIRWISE) {
      const leftP: number[] = [];
      for (const i of onlyPrimary) {
        const k = onlyCandidate.findIndex((j) => used[j] === 0 && equal(i, j));
        if (k < 0) leftP.push(i);
        else used[onlyCandidate[k]] = 1;
      }
      onlyCandidate = onlyCandidate.filter((j) => used[j] === 0);
      return { onlyPrimary: leftP, onlyCandidate };
    }
  }
  return { onlyPrimary, onlyCandidate };
}
