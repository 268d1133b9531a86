/**
 * Noise cancellation in the manner of Twitter Diffy, as pure functions.
 *
 * Every comparison yields two lists of differences: `raw` (primary vs candidate) and,
 * when a secondary backend exists, `noise` (primary vs secondary, two copies of the same
 * version). Per endpoint and per field, the number of requests with a raw difference `r`
 * is weighed against the number with a noise difference `n`: a field whose raw count is
 * not clearly above its noise count is non-deterministic (timestamps, request ids,
 * random ordering), not a regression of the candidate.
 */

/** What a field's counts say: a real difference of the candidate, or noise. */
export type Verdict = 'regression' | 'noise';

/** Diffy's two thresholds, as fractions (Diffy's defaults: 20 % and 0.03 %). */
export interface NoiseThresholds {
  /** Minimum `|r - n| / (r + n)`; default 0.2. */
  relative: number;
  /** Minimum `|r - n| / requests`; default 0.0003. */
  absolute: number;
}

/** The counts one verdict is computed from. */
export interface FieldCounts {
  /** Requests where the field differed between primary and candidate. */
  raw: number;
  /** Requests where the field differed between primary and secondary. */
  noise: number;
  /** Requests compared on the endpoint (the denominator of the absolute threshold). */
  requests: number;
}

/** Diffy's default thresholds: relative 0.2, absolute 0.0003. */
export const DEFAULT_THRESHOLDS: Readonly<NoiseThresholds> = Object.freeze({ relative: 0.2, absolute: 0.0003 });

/** The path of the catch-all field that differences fold into past the per-endpoint field cap. */
export const OTHER_FIELD = '*other*';

/** The expression index of jq mode names a distinct expression, not an element: it is kept. */
const JQ_PREFIX = /^body\.jq\[\d+\]/;

const QUOTE = 0x22;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const EQUALS = 0x3d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** End of the JSON string starting at `start` (a `"`): the index after its closing quote. */
function skipString(path: string, start: number): number {
  let i = start + 1;
  while (i < path.length && path[i] !== '"') i += path[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * Replaces array indexes and key selectors in a difference path with `[*]`, so that the
 * elements of an array aggregate as one field. Quoted object keys (`["a.b"]`) are kept,
 * and so is the expression index of jq mode (`body.jq[0]`), because each index is a
 * different expression. Brackets inside quoted keys and values are not selectors.
 *
 * @example
 * ```ts
 * foldPath('body.items[3].id');          // 'body.items[*].id'
 * foldPath('body.items[id=7].price');    // 'body.items[*].price'
 * foldPath('body.items[sku="A]1"].qty'); // 'body.items[*].qty'
 * foldPath('body.jq[1].total');          // 'body.jq[1].total'
 * ```
 */
export function foldPath(path: string): string {
  // Quoted keys are always bracketed: without a bracket there is nothing to fold.
  if (path.indexOf('[') === -1) return path;
  const jq = JQ_PREFIX.exec(path);
  // Unchanged runs are copied as slices: out holds path[0, from) folded.
  let out = '';
  let from = 0;
  let i = jq ? jq[0].length : 0;
  while (i < path.length) {
    const c = path.charCodeAt(i);
    if (c === QUOTE) i = skipString(path, i);
    else if (c === OPEN) {
      let j = i + 1;
      let selector = false;
      let digits = true;
      while (j < path.length && path.charCodeAt(j) !== CLOSE) {
        const d = path.charCodeAt(j);
        if (d === QUOTE) {
          j = skipString(path, j);
          digits = false;
        } else {
          if (d === EQUALS) selector = true;
          else if (d < DIGIT_0 || d > DIGIT_9) digits = false;
          j++;
        }
      }
      if (selector || (digits && j > i + 1)) {
        out += `${path.slice(from, i)}[*]`;
        from = j + 1;
      }
      i = j + 1;
    } else i++;
  }
  return from === 0 ? path : out + path.slice(from);
}

/**
 * Diffy's verdict on one field: `regression` iff `raw > noise`,
 * `|raw - noise| / (raw + noise) > relative` and `|raw - noise| / requests > absolute`;
 * `noise` otherwise (including when nothing was compared yet).
 *
 * @example
 * ```ts
 * verdict({ raw: 10, noise: 0, requests: 100 });  // 'regression'
 * verdict({ raw: 12, noise: 10, requests: 100 }); // 'noise' (relative 9 %)
 * verdict({ raw: 2, noise: 0, requests: 1e6 }, { relative: 0.2, absolute: 0.0003 }); // 'noise'
 * ```
 */
export function verdict(counts: FieldCounts, thresholds: NoiseThresholds = DEFAULT_THRESHOLDS): Verdict {
  const { raw, noise, requests } = counts;
  if (!(raw > noise) || !(requests > 0)) return 'noise';
  const delta = raw - noise;
  if (!(delta / (raw + noise) > thresholds.relative)) return 'noise';
  if (!(delta / requests > thresholds.absolute)) return 'noise';
  return 'regression';
}

/**
 * The two ratios the verdict compares with its thresholds, for display. Both are 0 when
 * there is nothing to compare.
 *
 * @example
 * ```ts
 * ratios({ raw: 12, noise: 10, requests: 100 }); // { relative: 0.0909…, absolute: 0.02 }
 * ```
 */
export function ratios(counts: FieldCounts): { relative: number; absolute: number } {
  const { raw, noise, requests } = counts;
  const delta = Math.abs(raw - noise);
  return {
    relative: raw + noise > 0 ? delta / (raw + noise) : 0,
    absolute: requests > 0 ? delta / requests : 0,
  };
}
