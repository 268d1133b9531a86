/**
 * Body comparison: picks the mode from the content-type, decodes, and dispatches to the
 * JSON, jq, form, multipart, text or hash comparison.
 */
import { createHash } from 'node:crypto';
import { decodeBody, decodeText, isUtf8, parseMediaType } from './decode.js';
import type { MediaType } from './decode.js';
import { parseMultipart, parseUrlencoded } from './form.js';
import { REMOVED, stripIgnored } from './ignore.js';
import type { CompiledRules } from './ignore.js';
import { diffValue } from './json.js';
import { compareJq } from './jqbody.js';
import { diffTapes } from './jsontape.js';
import { MAX_DIFFERENCES, newState } from './state.js';
import type { Findings } from './state.js';
import { Tape } from './tape.js';
import { diffText } from './text.js';
import type { CapturedResponse, CompareResult } from './types.js';

export type BodyMode = CompareResult['bodyMode'];
type Family = 'json' | 'form' | 'multipart' | 'text' | 'hash';

const DECODE = 'DOPPEL_ERR_COMPARE_DECODE';

const TEXT_TYPES = new Set([
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/x-ndjson',
  'application/yaml',
  'application/x-yaml',
  'application/graphql',
  'application/x-sh',
]);

/**
 * The comparison family of a media type (lower-case `type/subtype`).
 *
 * @example
 * ```ts
 * familyOf('application/problem+json'); // 'json'
 * familyOf('image/svg+xml'); // 'text'
 * familyOf('image/png'); // 'hash'
 * ```
 */
export function familyOf(type: string): Family {
  if (type === 'application/json' || type === 'text/json' || type.endsWith('+json')) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'multipart/form-data') return 'multipart';
  if (type.startsWith('text/') || type.endsWith('+xml') || TEXT_TYPES.has(type)) return 'text';
  return 'hash';
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** `size_changed` when the sizes differ, else `changed` when the hashes differ. */
function compareHashes(pSize: number, pSha: string, cSize: number, cSha: string, f: Findings): void {
  if (pSize !== cSize) f.out.push({ path: 'body', kind: 'size_changed', primary: pSize, candidate: cSize });
  else if (pSha !== cSha) f.out.push({ path: 'body', kind: 'changed', primary: pSha, candidate: cSha });
}

function compareRaw(p: CapturedResponse, c: CapturedResponse, f: Findings): BodyMode {
  compareHashes(p.size, p.sha256, c.size, c.sha256, f);
  return 'hash';
}

function compareDecodedHashes(p: Buffer, c: Buffer, f: Findings): BodyMode {
  if (p.length !== c.length || !p.equals(c)) compareHashes(p.length, sha256(p), c.length, sha256(c), f);
  return 'hash';
}

function diffParsed(p: unknown, c: unknown, prefix: string, compiled: CompiledRules, f: Findings): void {
  if (compiled.ignore !== null) {
    p = stripIgnored(p, compiled.ignore);
    c = stripIgnored(c, compiled.ignore);
    if (p === REMOVED || c === REMOVED) return;
  }
  const st = newState(compiled.diff, prefix, f.out, MAX_DIFFERENCES);
  diffValue(p, c, st);
  if (st.stop) f.overflow = true;
}

function compareText(pt: string, ct: string, p: Buffer, c: Buffer, f: Findings): BodyMode {
  const r = diffText(pt, ct, f.out, MAX_DIFFERENCES);
  if (r.overflow) f.overflow = true;
  if (r.compared) return 'text';
  f.notes.push('text body has too many lines; compared by size and sha256');
  return compareDecodedHashes(p, c, f);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const tapes = [new Tape(), new Tape()] as const;

/**
 * Diff two UTF-8 JSON bodies without parsing what they share (see jsontape.ts). False
 * when the bodies do not lex (invalid JSON, another charset, nesting too deep): the caller
 * parses them instead, which also words the errors.
 */
function diffLexed(p: Buffer, c: Buffer, mp: MediaType, mc: MediaType, compiled: CompiledRules, f: Findings): boolean {
  if (!isUtf8(mp.charset) || !isUtf8(mc.charset)) return false;
  const [tp, tc] = tapes;
  try {
    if (!tp.lex(p) || !tc.lex(c)) return false;
    const st = newState(compiled.diff, 'body', f.out, MAX_DIFFERENCES);
    diffTapes(tp, tc, st, compiled.ignore);
    if (st.stop) f.overflow = true;
    return true;
  } finally {
    tp.release();
    tc.release();
  }
}

async function compareJson(
  p: Buffer,
  c: Buffer,
  mp: MediaType,
  mc: MediaType,
  compiled: CompiledRules,
  f: Findings,
): Promise<BodyMode> {
  if (compiled.rules.jq.length === 0 && diffLexed(p, c, mp, mc, compiled, f)) return 'json';
  const pt = text(p, mp, 'primary', f);
  const ct = text(c, mc, 'candidate', f);
  const pj = tryParse(pt);
  const cj = tryParse(ct);
  if (!pj.ok || !cj.ok) {
    if (!pj.ok) f.notes.push(`primary body is not valid JSON (${pt === '' ? 'empty' : pj.error}); compared as text`);
    if (!cj.ok) f.notes.push(`candidate body is not valid JSON (${ct === '' ? 'empty' : cj.error}); compared as text`);
    return compareText(pt, ct, p, c, f);
  }
  if (compiled.rules.jq.length > 0) {
    const done = await compareJq(pj.value, cj.value, pt, ct, compiled, f);
    if (done) return 'jq';
  }
  diffParsed(pj.value, cj.value, 'body', compiled, f);
  return 'json';
}

function text(buf: Buffer, mt: MediaType, side: string, f: Findings): string {
  const t = decodeText(buf, mt.charset);
  if (t.note) f.notes.push(`${side} body: ${t.note}`);
  return t.text;
}

function sameHeader(a: string | string[] | undefined, b: string | string[] | undefined): boolean {
  if (a === b) return true;
  return String(a ?? '') === String(b ?? '');
}

/**
 * Compare the bodies of two responses under compiled rules, appending to `f`. Returns the
 * mode used. Throws only on internal errors (the caller turns them into notes).
 */
export async function compareBodies(
  p: CapturedResponse,
  c: CapturedResponse,
  compiled: CompiledRules,
  f: Findings,
): Promise<BodyMode> {
  const { rules } = compiled;
  if (!rules.body) return 'none';
  const max = rules.maxCompareSize;
  if (p.truncated || c.truncated || p.size > max || c.size > max || p.body.length > max || c.body.length > max) {
    f.notes.push(`body over maxCompareSize (${max} bytes): compared by size and sha256 only`);
    return compareRaw(p, c, f);
  }
  const mp = parseMediaType(p.headers['content-type']);
  const mc = parseMediaType(c.headers['content-type']);
  const fp = familyOf(mp.type);
  const fc = familyOf(mc.type);
  let family: Family = fp;
  if (fp !== fc) family = fp !== 'hash' && fc !== 'hash' && fp !== 'multipart' && fc !== 'multipart' ? 'text' : 'hash';
  const identical =
    p.body.length === c.body.length &&
    sameHeader(p.headers['content-encoding'], c.headers['content-encoding']) &&
    sameHeader(p.headers['content-type'], c.headers['content-type']) &&
    p.body.equals(c.body);
  const modeOf = (fam: Family): BodyMode => (fam === 'json' && rules.jq.length > 0 ? 'jq' : fam);
  if (identical) return p.body.length === 0 ? 'none' : modeOf(family);

  const dp = decodeBody(p.body, p.headers['content-encoding'], max);
  const dc = decodeBody(c.body, c.headers['content-encoding'], max);
  if (!dp.ok || !dc.ok) {
    for (const [side, d] of [['primary', dp], ['candidate', dc]] as const) {
      if (d.ok) continue;
      if (d.overLimit) f.notes.push(`${side} body over maxCompareSize after decoding: ${d.note}; compared by size and sha256 only`);
      else f.notes.push(`${DECODE}: ${side} body could not be decoded (${d.note}); compared by size and sha256`);
    }
    return compareRaw(p, c, f);
  }
  const pb = dp.body;
  const cb = dc.body;
  if (pb.length === 0 && cb.length === 0) return 'none';
  if (fp !== fc) f.notes.push(`content types differ; bodies compared ${family === 'text' ? 'as text' : 'by size and sha256'}`);
  const mark = f.out.length;
  try {
    return await compareDecoded(family, pb, cb, mp, mc, compiled, f);
  } catch (err) {
    // e.g. a document nested too deeply for a recursive walk
    f.out.length = mark;
    f.overflow = false;
    f.notes.push(`body comparison failed (${err instanceof Error ? err.message : String(err)}); compared by size and sha256`);
    return compareDecodedHashes(pb, cb, f);
  }
}

async function compareDecoded(
  family: Family,
  pb: Buffer,
  cb: Buffer,
  mp: MediaType,
  mc: MediaType,
  compiled: CompiledRules,
  f: Findings,
): Promise<BodyMode> {
  switch (family) {
    case 'json':
      return compareJson(pb, cb, mp, mc, compiled, f);
    case 'form': {
      const a = parseUrlencoded(text(pb, mp, 'primary', f));
      const b = parseUrlencoded(text(cb, mc, 'candidate', f));
      for (const n of [a.note, b.note]) if (n) f.notes.push(n);
      diffParsed(a.fields, b.fields, 'body.form', compiled, f);
      return 'form';
    }
    case 'multipart': {
      const a = parseMultipart(pb, mp.boundary ?? '');
      const b = parseMultipart(cb, mc.boundary ?? '');
      if (typeof a === 'string' || typeof b === 'string') {
        if (typeof a === 'string') f.notes.push(`${DECODE}: primary body: ${a}; compared by size and sha256`);
        if (typeof b === 'string') f.notes.push(`${DECODE}: candidate body: ${b}; compared by size and sha256`);
        return compareDecodedHashes(pb, cb, f);
      }
      f.notes.push(...a.notes, ...b.notes);
      diffParsed(a.fields, b.fields, 'body.form', compiled, f);
      return 'multipart';
    }
    case 'text':
      return compareText(text(pb, mp, 'primary', f), text(cb, mc, 'candidate', f), pb, cb, f);
    default:
      return compareDecodedHashes(pb, cb, f);
  }
}
