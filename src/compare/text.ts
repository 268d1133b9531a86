/**
 * Line-by-line comparison of text bodies. Common leading and trailing lines are skipped;
 * the middle is aligned with a longest-common-subsequence table when it is small enough
 * (at most {@link MAX_LCS_CELLS} cells), else line by line by position.
 */
import type { Difference } from './types.js';

/** Texts with more lines than this are compared by sha256 instead. */
export const MAX_TEXT_LINES = 5000;
/** Largest LCS table (lines of primary × lines of candidate, after trimming). */
export const MAX_LCS_CELLS = 1_000_000;

const NEWLINE = /\r?\n/;

/** Split text into lines (`\n` and `\r\n` both end a line). */
export function splitLines(text: string): string[] {
  return text.split(NEWLINE);
}

interface Sink {
  out: Difference[];
  limit: number;
  overflow: boolean;
}

function push(sink: Sink, d: Difference): boolean {
  if (sink.out.length >= sink.limit) {
    sink.overflow = true;
    return false;
  }
  sink.out.push(d);
  return true;
}

/**
 * Report one hunk: `dels` primary line indexes replaced by `ins` candidate line indexes.
 * Pairs become `changed` (at the primary line number), the rest `missing` (primary line
 * number) or `extra` (candidate line number). Line numbers are 1-based.
 */
function hunk(a: string[], b: string[], dels: number[], ins: number[], sink: Sink): boolean {
  const n = Math.min(dels.length, ins.length);
  for (let k = 0; k < n; k++) {
    if (!push(sink, { path: `body.line[${dels[k] + 1}]`, kind: 'changed', primary: a[dels[k]], candidate: b[ins[k]] })) return false;
  }
  for (let k = n; k < dels.length; k++) {
    if (!push(sink, { path: `body.line[${dels[k] + 1}]`, kind: 'missing', primary: a[dels[k]] })) return false;
  }
  for (let k = n; k < ins.length; k++) {
    if (!push(sink, { path: `body.line[${ins[k] + 1}]`, kind: 'extra', candidate: b[ins[k]] })) return false;
  }
  dels.length = 0;
  ins.length = 0;
  return true;
}

function alignLcs(a: string[], b: string[], s: number, ea: number, eb: number, sink: Sink): void {
  const n = ea - s;
  const m = eb - s;
  const w = m + 1;
  // table[i*w + j] = LCS length of a[s+i..ea) and b[s+j..eb)
  const table = n + m < 65535 ? new Uint16Array((n + 1) * w) : new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * w + j] =
        a[s + i] === b[s + j] ? table[(i + 1) * w + j + 1] + 1 : Math.max(table[(i + 1) * w + j], table[i * w + j + 1]);
    }
  }
  const dels: number[] = [];
  const ins: number[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[s + i] === b[s + j]) {
      if (!hunk(a, b, dels, ins, sink)) return;
      i++;
      j++;
    } else if (j >= m || (i < n && table[(i + 1) * w + j] >= table[i * w + j + 1])) {
      dels.push(s + i++);
    } else {
      ins.push(s + j++);
    }
  }
  hunk(a, b, dels, ins, sink);
}

function alignByPosition(a: string[], b: string[], s: number, ea: number, eb: number, sink: Sink): void {
  const dels: number[] = [];
  const ins: number[] = [];
  const n = Math.max(ea, eb);
  for (let k = s; k < n; k++) {
    if (k < ea && k < eb && a[k] === b[k]) {
      if (!hunk(a, b, dels, ins, sink)) return;
      continue;
    }
    if (k < ea) dels.push(k);
    if (k < eb) ins.push(k);
  }
  hunk(a, b, dels, ins, sink);
}

/**
 * Diff two texts line by line; appends to `out`. Returns false (and appends nothing) when
 * either text has more than {@link MAX_TEXT_LINES} lines, and sets `overflow` when `limit`
 * differences were reached.
 *
 * @example
 * ```ts
 * const out = [];
 * diffText('a\nb\nc', 'a\nB\nc\nd', out);
 * // out: [ { path: 'body.line[2]', kind: 'changed', primary: 'b', candidate: 'B' },
 * //        { path: 'body.line[4]', kind: 'extra', candidate: 'd' } ]
 * ```
 */
export function diffText(
  primary: string,
  candidate: string,
  out: Difference[],
  limit = 1000,
): { compared: boolean; overflow: boolean } {
  if (primary === candidate) return { compared: true, overflow: false };
  const a = splitLines(primary);
  const b = splitLines(candidate);
  if (a.length > MAX_TEXT_LINES || b.length > MAX_TEXT_LINES) return { compared: false, overflow: false };
  let s = 0;
  while (s < a.length && s < b.length && a[s] === b[s]) s++;
  let ea = a.length;
  let eb = b.length;
  while (ea > s && eb > s && a[ea - 1] === b[eb - 1]) {
    ea--;
    eb--;
  }
  const sink: Sink = { out, limit, overflow: false };
  if ((ea - s) * (eb - s) <= MAX_LCS_CELLS) alignLcs(a, b, s, ea, eb, sink);
  else alignByPosition(a, b, s, ea, eb, sink);
  return { compared: true, overflow: sink.overflow };
}
