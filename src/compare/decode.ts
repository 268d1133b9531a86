/**
 * Body decoding: content-encodings (gzip, deflate, br, zstd, stacked) with a bound on the
 * decoded size, and text decoding by charset.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { OverLimitError, zstdDecompress } from './zstd.js';

/** The outcome of {@link decodeBody}. It never throws. */
export type DecodeResult =
  | { ok: true; body: Buffer; encodings: string[] }
  | { ok: false; overLimit: boolean; note: string; encodings: string[] };

/**
 * The content-encodings of a header value, in the order they were applied (`identity`
 * dropped, lower-cased).
 *
 * @example
 * ```ts
 * parseEncodings('gzip, BR'); // ['gzip', 'br']
 * ```
 */
export function parseEncodings(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (raw === '') return [];
  const out: string[] = [];
  for (const part of raw.split(',')) {
    const e = part.trim().toLowerCase();
    if (e !== '' && e !== 'identity') out.push(e);
  }
  return out;
}

function isZlibHeader(b: Buffer): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 === 0;
}

function decodeOne(enc: string, input: Buffer, limit: number): Buffer {
  const opts = { maxOutputLength: Math.max(1, limit) };
  switch (enc) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(input, opts);
    case 'deflate':
      // Servers send either a zlib stream (RFC 9110) or raw deflate.
      return isZlibHeader(input) ? inflateSync(input, opts) : inflateRawSync(input, opts);
    case 'br':
      return brotliDecompressSync(input, opts);
    case 'zstd':
      return zstdDecompress(input, limit);
    default:
      throw new Error(`unsupported content-encoding "${enc}"`);
  }
}

function isOverLimit(err: unknown): boolean {
  return (
    err instanceof OverLimitError ||
    (err instanceof RangeError && (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
  );
}

/**
 * Undo the content-encodings of a body (`gzip, br` means gzip then br were applied, so br
 * is undone first). At most `limit` decoded bytes are produced, whatever the input (a
 * zip bomb stops at the limit); past it the result is `{ ok: false, overLimit: true }`.
 *
 * @example
 * ```ts
 * const r = decodeBody(gzipSync('{"a":1}'), 'gzip', 1 << 20);
 * if (r.ok) JSON.parse(r.body.toString()); // { a: 1 }
 * ```
 */
export function decodeBody(body: Buffer, contentEncoding: string | string[] | undefined, limit: number): DecodeResult {
  const encodings = parseEncodings(contentEncoding);
  let buf = body;
  for (let i = encodings.length - 1; i >= 0; i--) {
    const enc = encodings[i];
    try {
      buf = decodeOne(enc, buf, limit);
    } catch (err) {
      if (isOverLimit(err)) {
        return { ok: false, overLimit: true, note: `decoded size over ${limit} bytes (${enc})`, encodings };
      }
      const msg = err instanceof Error ? err.message : String(err);
      return { ok: false, overLimit: false, note: `${enc}: ${msg}`, encodings };
    }
    if (buf.length > limit) {
      return { ok: false, overLimit: true, note: `decoded size over ${limit} bytes (${enc})`, encodings };
    }
  }
  return { ok: true, body: buf, encodings };
}

/** The parts of a content-type that matter here. */
export interface MediaType {
  /** Lower-case `type/subtype`, '' when absent. */
  type: string;
  charset: string | null;
  boundary: string | null;
}

const PARAM = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;

/**
 * Parse a content-type header value.
 *
 * @example
 * ```ts
 * parseMediaType('Text/HTML; charset="ISO-8859-1"'); // { type: 'text/html', charset: 'iso-8859-1', boundary: null }
 * ```
 */
export function parseMediaType(value: string | string[] | undefined): MediaType {
  const v = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  const semi = v.indexOf(';');
  const type = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  let charset: string | null = null;
  let boundary: string | null = null;
  if (semi >= 0) {
    for (const m of v.slice(semi).matchAll(PARAM)) {
      const name = m[1].toLowerCase();
      const val = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
      if (name === 'charset') charset = val.trim().toLowerCase();
      else if (name === 'boundary') boundary = val;
    }
  }
  return { type, charset, boundary };
}

const decoders = new Map<string, TextDecoder>();
const UTF8 = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

/** True for a missing charset (JSON's default) and the names of UTF-8. */
export function isUtf8(charset: string | null): boolean {
  return charset === null || UTF8.has(charset);
}

/**
 * Decode text by charset (utf-8 when absent). An unknown charset decodes as utf-8 and
 * returns a note. A leading byte order mark is dropped.
 *
 * @example
 * ```ts
 * decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'iso-8859-1').text; // 'café'
 * ```
 */
export function decodeText(buf: Buffer, charset: string | null): { text: string; note?: string } {
  if (charset === null || UTF8.has(charset)) {
    const text = buf.toString('utf8');
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  }
  let dec = decoders.get(charset);
  if (dec === undefined) {
    try {
      dec = new TextDecoder(charset);
    } catch {
      const text = buf.toString('utf8');
      return { text, note: `unknown charset "${charset}", decoded as utf-8` };
    }
    if (decoders.size < 64) decoders.set(charset, dec);
  }
  return { text: dec.decode(buf) };
}
