/**
 * doppel's comparison engine: compares a candidate's response with the primary's (status,
 * headers, body) under {@link CompareRules}. Pure: no I/O, no global state besides caches.
 * See `docs/compare.md`.
 */
import { createHash } from 'node:crypto';
import { compareBodies } from './body.js';
import type { BodyMode } from './body.js';
import { DEFAULT_MAX_COMPARE_SIZE } from './defaults.js';
import type { PartialCompareRules } from './defaults.js';
import { diffHeaderMaps, normalizeHeaders } from './headers.js';
import { compileRules } from './ignore.js';
import { MAX_DIFFERENCES } from './state.js';
import type { Findings } from './state.js';
import type { CapturedResponse, CompareResult, CompareRules } from './types.js';

export type { ArrayMode, CapturedResponse, CompareResult, CompareRules, Difference, DifferenceKind } from './types.js';
export {
  BODY_DERIVED_HEADERS,
  DEFAULT_IGNORED_HEADERS,
  DEFAULT_MAX_COMPARE_SIZE,
  PRESENCE_ONLY_HEADERS,
  defaultCompareRules,
  mergeRules,
} from './defaults.js';
export type { PartialCompareRules } from './defaults.js';
export { decodeBody, decodeText, parseEncodings, parseMediaType } from './decode.js';
export type { DecodeResult, MediaType } from './decode.js';
export { diffJson } from './json.js';
export type { DiffJsonOptions } from './json.js';
export { diffHeaders, normalizeHeaders } from './headers.js';
export { compileRules, stripIgnored, REMOVED } from './ignore.js';
export type { CompiledRules } from './ignore.js';
export { validateGlob, formatPath, ANY_ELEMENT } from './path.js';
export type { PathSegment, KeyedSegment } from './path.js';
export { runJq, validateJq } from './jq.js';
export type { JqOutcome, JqSide } from './jq.js';
export { diffText, MAX_TEXT_LINES } from './text.js';
export { parseMultipart, parseUrlencoded } from './form.js';
export { familyOf } from './body.js';
export type { BodyMode } from './body.js';
export { MAX_DIFFERENCES } from './state.js';
export { MAX_ZSTD_WINDOW } from './zstd.js';

type HeaderInput = Record<string, string | string[] | number | undefined> | undefined | null;

function toBuffer(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.alloc(0);
}

function lowerHeaders(headers: HeaderInput): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!headers || typeof headers !== 'object') return out;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    if (v === undefined || v === null) continue;
    const key = name.toLowerCase();
    const value = Array.isArray(v) ? v.map(String) : String(v);
    const prev = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    const merged = prev === undefined ? value : ([] as string[]).concat(prev, value);
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Build a {@link CapturedResponse} from a whole body: header names lower-cased, sha256 and
 * size of the full body, and at most `maxCompareSize` bytes kept (`truncated` when more).
 *
 * @example
 * ```ts
 * const res = captureFromBuffer(200, { 'Content-Type': 'application/json' }, Buffer.from('{"a":1}'));
 * res.sha256; // hex sha256 of the 7 bytes
 * ```
 */
export function captureFromBuffer(
  status: number,
  headers: HeaderInput,
  body: Buffer | Uint8Array | string,
  maxCompareSize: number = DEFAULT_MAX_COMPARE_SIZE,
): CapturedResponse {
  const buf = toBuffer(body);
  const max = Number.isFinite(maxCompareSize) && maxCompareSize >= 0 ? Math.floor(maxCompareSize) : DEFAULT_MAX_COMPARE_SIZE;
  const truncated = buf.length > max;
  return {
    status,
    headers: lowerHeaders(headers),
    body: truncated ? buf.subarray(0, max) : buf,
    truncated,
    size: buf.length,
    sha256: createHash('sha256').update(buf).digest('hex'),
  };
}

/**
 * True when `r` has a string `sha256` or a getter for it. The getter is not called: a
 * capture computes its hash on first read, which most comparisons never need.
 */
function hasSha256(r: object): boolean {
  for (let o: object | null = r; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, 'sha256');
    if (d) return d.get !== undefined || typeof d.value === 'string';
  }
  return false;
}

/** A well-formed copy of whatever was passed as a response (the engine never throws). */
function sane(r: CapturedResponse): CapturedResponse {
  if (
    r &&
    Buffer.isBuffer(r.body) &&
    typeof r.size === 'number' &&
    hasSha256(r) &&
    typeof r.truncated === 'boolean' &&
    r.headers !== null &&
    typeof r.headers === 'object'
  ) {
    return r;
  }
  const raw = (r ?? {}) as Partial<CapturedResponse>;
  const body = toBuffer(raw.body);
  return {
    status: typeof raw.status === 'number' ? raw.status : 0,
    headers: lowerHeaders(raw.headers as HeaderInput),
    body,
    truncated: raw.truncated === true,
    size: typeof raw.size === 'number' ? raw.size : body.length,
    sha256: typeof raw.sha256 === 'string' ? raw.sha256 : createHash('sha256').update(body).digest('hex'),
  };
}

/**
 * Compare a candidate's response with the primary's: status (`status`), headers
 * (`header.<name>`) and body (`body...`, mode chosen by content-type). Never throws:
 * anything that cannot be compared normally becomes a note, and the comparison falls back
 * to a coarser mode. Rules are compiled once per rules object (keep passing the same one).
 *
 * @example
 * ```ts
 * const p = captureFromBuffer(200, { 'content-type': 'application/json' }, '{"user":{"name":"a"},"at":1}');
 * const c = captureFromBuffer(200, { 'content-type': 'application/json' }, '{"at":2,"user":{"name":"b"}}');
 * const r = await compareResponses(p, c, { ignore: ['$.at'] });
 * // r.equal === false
 * // r.differences: [ { path: 'body.user.name', kind: 'changed', primary: 'a', candidate: 'b' } ]
 * ```
 */
export async function compareResponses(
  primary: CapturedResponse,
  candidate: CapturedResponse,
  rules?: PartialCompareRules | CompareRules,
): Promise<CompareResult> {
  const f: Findings = { out: [], notes: [], overflow: false };
  let bodyMode: BodyMode = 'none';
  try {
    const compiled = compileRules(rules);
    if (compiled.notes.length > 0) f.notes.push(...compiled.notes);
    const p = sane(primary);
    const c = sane(candidate);
    if (compiled.rules.status && p.status !== c.status) {
      f.out.push({ path: 'status', kind: 'status', primary: p.status, candidate: c.status });
    }
    if (compiled.rules.headers.enabled) {
      diffHeaderMaps(normalizeHeaders(p.headers), normalizeHeaders(c.headers), compiled, f.out);
    }
    bodyMode = await compareBodies(p, c, compiled, f);
  } catch (err) {
    f.notes.push(`comparison incomplete: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (f.overflow) f.notes.push(`more than ${MAX_DIFFERENCES} differences; only the first ${MAX_DIFFERENCES} are listed`);
  return { equal: f.out.length === 0, differences: f.out, bodyMode, notes: f.notes };
}
