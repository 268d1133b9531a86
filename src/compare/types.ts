/**
 * Types of the comparison engine: what is compared ({@link CapturedResponse}), how
 * ({@link CompareRules}) and what comes out ({@link Difference}).
 */

/** How the elements of an array are matched. */
export type ArrayMode =
  | { mode: 'ordered' }
  | { mode: 'unordered' }
  | {
      mode: 'byKey';
      key: string;
      /** Also report one `order` difference when the matched keys appear in a different order (default false). */
      order?: boolean;
    };

/** Comparison rules for one route. Every field has a default (see `defaultCompareRules`). */
export interface CompareRules {
  /** Compare status codes (default true). */
  status: boolean;
  headers: {
    /** Compare headers at all (default true). */
    enabled: boolean;
    /** When set, only these headers (lower-case) are compared. */
    include: string[] | null;
    /** Extra headers (lower-case) ignored on top of the built-in list. */
    ignore: string[];
  };
  /** Compare bodies (default true). */
  body: boolean;
  /** jq expressions: when non-empty, JSON bodies are compared only on their results. */
  jq: string[];
  /** Path globs removed before comparing, e.g. `$.meta.generatedAt`, `$..updatedAt`, `$.items[*].etag`. */
  ignore: string[];
  /** Default array matching (default ordered). */
  arrays: ArrayMode;
  /** Per-path array matching, e.g. `{ path: '$.items', mode: { mode: 'byKey', key: 'id' } }`. */
  arraysAt: { path: string; mode: ArrayMode }[];
  /** Numbers within this absolute distance are equal (default 0). */
  numericTolerance: number;
  /** Bodies larger than this (bytes, decoded or not) are compared by length and sha256 only (default 1 MiB). */
  maxCompareSize: number;
}

/** A response captured for comparison. Header names are lower-case. */
export interface CapturedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as received (still content-encoded), at most `maxCompareSize` bytes. */
  body: Buffer;
  /** True when the body was longer than what was kept. */
  truncated: boolean;
  /** Full length of the body as received, in bytes. */
  size: number;
  /** Hex sha256 of the full body as received. */
  sha256: string;
}

/** The kinds of difference, in Diffy's terms where they exist. */
export type DifferenceKind =
  | 'changed'
  | 'type_changed'
  | 'missing'
  | 'extra'
  | 'order'
  | 'size_changed'
  | 'status'
  | 'header';

/**
 * One difference. `path` is `status`, `header.<name>`, or `body` followed by the location
 * in the body: `body.user.name`, `body.items[3].id`, `body.items[id=7].price` (byKey),
 * `body.line[12]` (text), `body.form.field`, `body.jq[0]` (jq expression index).
 * `primary` / `candidate` hold the two values (undefined on the side where it is absent).
 */
export interface Difference {
  path: string;
  kind: DifferenceKind;
  primary?: unknown;
  candidate?: unknown;
}

/** The result of {@link compareResponses}. */
export interface CompareResult {
  /** True when no difference was found. */
  equal: boolean;
  differences: Difference[];
  /** How the bodies were compared. */
  bodyMode: 'json' | 'jq' | 'form' | 'multipart' | 'text' | 'hash' | 'none';
  /** Set when something could not be compared normally (e.g. decode failure); the comparison still completed. */
  notes: string[];
}
