/**
 * Default comparison rules and the built-in lists of headers that are not compared.
 */
import type { ArrayMode, CompareRules } from './types.js';

/** Default `maxCompareSize`: 1 MiB. */
export const DEFAULT_MAX_COMPARE_SIZE = 1024 * 1024;

/**
 * Headers never compared unless named in `headers.include`. They change from one response
 * to the next (dates, request ids, timings), describe the connection rather than the
 * response (hop-by-hop headers), or name the server software. An entry ending in `*` is a
 * prefix: `x-doppel-*` matches every header doppel adds itself.
 */
export const DEFAULT_IGNORED_HEADERS: readonly string[] = Object.freeze([
  // clock-dependent
  'date',
  'age',
  'expires',
  'last-modified',
  // server software and intermediaries
  'server',
  'x-powered-by',
  'via',
  'x-served-by',
  'x-cache',
  'x-cache-hits',
  'cf-cache-status',
  'cf-ray',
  // hop-by-hop / framing
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  // per-request identifiers and tracing
  'x-request-id',
  'x-correlation-id',
  'x-amzn-requestid',
  'x-amzn-trace-id',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-cloud-trace-context',
  'traceparent',
  'tracestate',
  'x-b3-*',
  'x-trace-id',
  // timings
  'server-timing',
  'x-response-time',
  'x-runtime',
  // doppel's own headers
  'x-doppel-*',
]);

/**
 * Headers compared by presence only: both responses have it, or neither. Their values
 * carry session ids and expiry dates that differ between any two responses.
 */
export const PRESENCE_ONLY_HEADERS: readonly string[] = Object.freeze(['set-cookie']);

/**
 * Headers that describe the body bytes as sent. They are not compared when the bodies are
 * compared (the decoded bodies are compared instead, so a gzip and an identity response
 * with the same content are equal), nor when the two `content-encoding`s differ.
 */
export const BODY_DERIVED_HEADERS: readonly string[] = Object.freeze([
  'content-length',
  'content-encoding',
  'etag',
]);

/**
 * The default rules: compare status, headers (minus the built-in ignore lists) and bodies;
 * arrays in order; no tolerance; bodies over 1 MiB by size and sha256 only.
 *
 * @example
 * ```ts
 * const rules = defaultCompareRules();
 * rules.ignore.push('$..updatedAt');
 * ```
 */
export function defaultCompareRules(): CompareRules {
  return {
    status: true,
    headers: { enabled: true, include: null, ignore: [] },
    body: true,
    jq: [],
    ignore: [],
    arrays: { mode: 'ordered' },
    arraysAt: [],
    numericTolerance: 0,
    maxCompareSize: DEFAULT_MAX_COMPARE_SIZE,
  };
}

/** Rules as accepted from callers: any subset, `headers` itself partial. */
export type PartialCompareRules = Partial<Omit<CompareRules, 'headers'>> & {
  headers?: Partial<CompareRules['headers']>;
};

/** A clean copy of an array mode; anything unrecognised becomes `ordered`. */
function copyMode(mode: ArrayMode | undefined | null): ArrayMode {
  if (mode && mode.mode === 'unordered') return { mode: 'unordered' };
  if (mode && mode.mode === 'byKey' && typeof mode.key === 'string' && mode.key !== '') {
    return mode.order ? { mode: 'byKey', key: mode.key, order: true } : { mode: 'byKey', key: mode.key };
  }
  return { mode: 'ordered' };
}

/**
 * Fill the missing fields of `partial` with the defaults. The result is a fresh object
 * sharing nothing with `partial` (arrays are copied).
 *
 * @example
 * ```ts
 * const rules = mergeRules({ ignore: ['$.meta'], headers: { ignore: ['x-shard'] } });
 * rules.status; // true
 * rules.headers.enabled; // true
 * ```
 */
export function mergeRules(partial?: PartialCompareRules | null): CompareRules {
  const d = defaultCompareRules();
  if (!partial) return d;
  const h = partial.headers ?? {};
  const tol = partial.numericTolerance;
  const max = partial.maxCompareSize;
  return {
    status: partial.status ?? d.status,
    headers: {
      enabled: h.enabled ?? d.headers.enabled,
      include: Array.isArray(h.include) ? h.include.map((n) => String(n).toLowerCase()) : null,
      ignore: Array.isArray(h.ignore) ? h.ignore.map((n) => String(n).toLowerCase()) : [],
    },
    body: partial.body ?? d.body,
    jq: Array.isArray(partial.jq) ? partial.jq.filter((e) => typeof e === 'string') : [],
    ignore: Array.isArray(partial.ignore) ? partial.ignore.filter((g) => typeof g === 'string') : [],
    arrays: partial.arrays ? copyMode(partial.arrays) : d.arrays,
    arraysAt: Array.isArray(partial.arraysAt)
      ? partial.arraysAt.filter((a) => a && typeof a.path === 'string').map((a) => ({ path: a.path, mode: copyMode(a.mode) }))
      : [],
    numericTolerance: typeof tol === 'number' && Number.isFinite(tol) && tol > 0 ? tol : 0,
    maxCompareSize:
      typeof max === 'number' && Number.isFinite(max) && max >= 0 ? Math.floor(max) : d.maxCompareSize,
  };
}
