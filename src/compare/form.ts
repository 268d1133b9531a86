/**
 * Form bodies turned into plain objects so they can be compared like JSON:
 * `application/x-www-form-urlencoded` and `multipart/form-data`. A field sent once is a
 * string, a repeated field an array of its values; a multipart file is
 * `{ filename, size, sha256 }`.
 */
import { createHash } from 'node:crypto';
import { decodeText, parseMediaType } from './decode.js';

/** A file part of a multipart body. */
export interface FilePart {
  filename: string;
  size: number;
  sha256: string;
}

export type FormValue = string | FilePart;
export type FormObject = Record<string, FormValue | FormValue[]>;

/** At most this many fields or parts are read; the rest are dropped with a note. */
export const MAX_FORM_FIELDS = 1000;
/** Largest header block of one multipart part. */
const MAX_PART_HEADER = 16 * 1024;

function addField(obj: FormObject, name: string, value: FormValue): void {
  if (!Object.prototype.hasOwnProperty.call(obj, name)) {
    Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
    return;
  }
  const prev = obj[name];
  if (Array.isArray(prev)) prev.push(value);
  else obj[name] = [prev, value];
}

/**
 * Parse an urlencoded form.
 *
 * @example
 * ```ts
 * parseUrlencoded('a=1&b=x+y&a=2').fields; // { a: ['1', '2'], b: 'x y' }
 * ```
 */
export function parseUrlencoded(text: string): { fields: FormObject; note?: string } {
  const fields: FormObject = {};
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    if (++count > MAX_FORM_FIELDS) return { fields, note: `form has more than ${MAX_FORM_FIELDS} fields; the rest were not compared` };
    addField(fields, name, value);
  }
  return { fields };
}

const DISPOSITION_PARAM = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;

function partHeaders(block: string): { name: string | null; filename: string | null; contentType: string } {
  let name: string | null = null;
  let filename: string | null = null;
  let contentType = '';
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const hname = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (hname === 'content-type') contentType = value;
    if (hname !== 'content-disposition') continue;
    for (const m of value.matchAll(DISPOSITION_PARAM)) {
      const p = m[1].toLowerCase();
      const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim();
      if (p === 'name') name = v;
      else if (p === 'filename' && filename === null) filename = v;
      else if (p === 'filename*') {
        const q = v.indexOf("''");
        try {
          filename = decodeURIComponent(q >= 0 ? v.slice(q + 2) : v);
        } catch {
          filename = v;
        }
      }
    }
  }
  return { name, filename, contentType };
}

/**
 * Parse a `multipart/form-data` body by its boundary. Fields become strings (decoded by
 * their charset, utf-8 by default), files `{ filename, size, sha256 }`, parts without a
 * name are keyed `""`. Returns an error message when the body is not multipart.
 *
 * @example
 * ```ts
 * const body = Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n');
 * parseMultipart(body, 'b'); // { fields: { a: '1' }, notes: [] }
 * ```
 */
export function parseMultipart(body: Buffer, boundary: string): { fields: FormObject; notes: string[] } | string {
  if (boundary === '' || boundary.length > 200) return 'invalid multipart boundary';
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const next = Buffer.from(`\n--${boundary}`, 'latin1');
  const fields: FormObject = {};
  const notes: string[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) return 'multipart boundary not found';
  let count = 0;
  for (;;) {
    pos += delim.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break; // closing delimiter
    const lineEnd = body.indexOf(0x0a, pos);
    if (lineEnd < 0) return 'truncated multipart body';
    const headStart = lineEnd + 1;
    // header blocks are short: look for their end only within MAX_PART_HEADER bytes
    const window = body.subarray(headStart, headStart + MAX_PART_HEADER + 4);
    const crlf = window.indexOf('\r\n\r\n', 0, 'latin1');
    const lf = window.indexOf('\n\n', 0, 'latin1');
    let headEnd = -1;
    let bodyStart = -1;
    if (lf >= 0 && (crlf < 0 || lf < crlf)) {
      headEnd = headStart + lf;
      bodyStart = headEnd + 2;
    } else if (crlf >= 0) {
      headEnd = headStart + crlf;
      bodyStart = headEnd + 4;
    }
    // a part with no headers starts its body right away
    if (body[headStart] === 0x0d && body[headStart + 1] === 0x0a) {
      headEnd = headStart;
      bodyStart = headStart + 2;
    } else if (body[headStart] === 0x0a) {
      headEnd = headStart;
      bodyStart = headStart + 1;
    }
    if (headEnd < 0) return 'multipart part headers missing or too large';
    const end = body.indexOf(next, bodyStart > 0 ? bodyStart - 1 : 0);
    if (end < 0) return 'multipart closing boundary not found';
    let contentEnd = Math.max(end, bodyStart);
    if (contentEnd > bodyStart && body[contentEnd - 1] === 0x0d) contentEnd--;
    const content = body.subarray(bodyStart, contentEnd);
    const h = partHeaders(body.toString('latin1', headStart, headEnd));
    if (++count > MAX_FORM_FIELDS) {
      notes.push(`multipart body has more than ${MAX_FORM_FIELDS} parts; the rest were not compared`);
      break;
    }
    const name = h.name ?? '';
    if (h.filename !== null) {
      const sha256 = createHash('sha256').update(content).digest('hex');
      addField(fields, name, { filename: h.filename, size: content.length, sha256 });
    } else {
      const t = decodeText(content, parseMediaType(h.contentType).charset);
      if (t.note) notes.push(`part "${name}": ${t.note}`);
      addField(fields, name, t.text);
    }
    pos = end + 1;
  }
  return { fields, notes };
}
