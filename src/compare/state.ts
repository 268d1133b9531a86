/**
 * The state of one structural diff: options, the current path, where differences go.
 */
import { formatPath, matchPath } from './path.js';
import type { GlobSet, PathSegment } from './path.js';
import type { ArrayMode, Difference, DifferenceKind } from './types.js';

/** Options of a structural diff. */
export interface DiffOptions {
  /** Numbers within this absolute distance are equal. */
  numericTolerance: number;
  /** Default array mode. */
  arrays: ArrayMode;
  /** Per-path array modes: glob i of `arraysAt` selects `arrayModes[i]`. */
  arraysAt: GlobSet | null;
  arrayModes: readonly ArrayMode[];
}

/** Default number of differences kept per comparison; the rest are counted in a note. */
export const MAX_DIFFERENCES = 1000;

export interface DiffState {
  readonly opts: DiffOptions;
  readonly prefix: string;
  readonly path: PathSegment[];
  readonly out: Difference[];
  readonly limit: number;
  /** A probe only asks "equal or not": it stops at the first difference and keeps none. */
  readonly probe: boolean;
  /** Set when a probe found a difference or `out` reached `limit`. */
  stop: boolean;
}

export enum Kind {
  Undefined,
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** The JSON type of a value. */
export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'string':
      return Kind.String;
    case 'number':
      return Kind.Number;
    case 'boolean':
      return Kind.Bool;
    case 'object':
      return v === null ? Kind.Null : Array.isArray(v) ? Kind.Array : Kind.Object;
    default:
      return Kind.Undefined;
  }
}

export function newState(
  opts: DiffOptions,
  prefix: string,
  out: Difference[],
  limit = MAX_DIFFERENCES,
  path: PathSegment[] = [],
): DiffState {
  return { opts, prefix, path, out, limit, probe: false, stop: false };
}

/** A probe sharing the path of `st` (the path is restored before the probe returns). */
export function probeOf(st: DiffState): DiffState {
  return { opts: st.opts, prefix: st.prefix, path: st.path, out: [], limit: 0, probe: true, stop: false };
}

/** Record a difference at the current path (plus `last`, when given). */
export function emit(
  st: DiffState,
  kind: DifferenceKind,
  primary: unknown,
  candidate: unknown,
  last?: PathSegment,
): void {
  if (st.probe || st.out.length >= st.limit) {
    st.stop = true;
    return;
  }
  const d: Difference = { path: formatPath(st.prefix, st.path, last), kind };
  if (primary !== undefined) d.primary = primary;
  if (candidate !== undefined) d.candidate = candidate;
  st.out.push(d);
}

/** The array mode that applies at the current path. */
export function modeAt(opts: DiffOptions, path: readonly PathSegment[]): ArrayMode {
  if (opts.arraysAt === null) return opts.arrays;
  const g = matchPath(opts.arraysAt, path);
  return g >= 0 ? opts.arrayModes[g] : opts.arrays;
}

/** Where a comparison collects its findings. */
export interface Findings {
  out: Difference[];
  notes: string[];
  /** Set when the difference limit was reached. */
  overflow: boolean;
}
