/**
 * Request headers as the middleware copies them: the original headers in their order and
 * case, minus hop-by-hop headers (and those named in `Connection`) and `Host`, which the
 * copy sets itself. Works on flat `[name, value, ...]` arrays.
 */
import { isHopByHop } from '../core/headers.js';

/** The headers a copy is made from, and the original Host. */
export interface CopyHeaders {
  headers: string[];
  host: string;
}

/**
 * Strips hop-by-hop headers and `Host` from a flat raw header array.
 *
 * @example
 * ```ts
 * copyHeaders(['Host', 'api', 'Connection', 'x-a', 'x-a', '1', 'Accept', '*\/*']);
 * // { headers: ['Accept', '*\/*'], host: 'api' }
 * ```
 */
export function copyHeaders(raw: readonly string[]): CopyHeaders {
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1].split(',')) {
      const n = t.trim().toLowerCase();
      if (n !== '') (named ??= new Set()).add(n);
    }
  }
  const headers: string[] = [];
  let host = '';
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (lower === 'host') {
      if (host === '') host = raw[i + 1];
      continue;
    }
    if (isHopByHop(lower) || (named !== null && named.has(lower))) continue;
    headers.push(raw[i], raw[i + 1]);
  }
  return { headers, host };
}

/** A flat raw array from a Web `Headers` object (names lower-case, as Headers keeps them). */
export function webHeadersToRaw(headers: Headers): string[] {
  const raw: string[] = [];
  headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    raw.push(name, value);
  });
  for (const c of headers.getSetCookie?.() ?? []) raw.push('set-cookie', c);
  return raw;
}

/** Content-Length as a number, -1 for a body of unknown length (chunked), 0 for none. */
export function bodyLengthOf(raw: readonly string[]): number {
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (lower === 'content-length') {
      const n = Number(raw[i + 1]);
      return Number.isFinite(n) && n >= 0 ? n : -1;
    }
    if (lower === 'transfer-encoding') chunked = true;
  }
  return chunked ? -1 : 0;
}

/**
 * Headers for a body that is sent whole: `Content-Length` set to its length (absent when empty); with
 * `reencoded`, `Content-Encoding` dropped too (a body parser already decoded the body).
 */
export function withBodyLength(headers: readonly string[], length: number, reencoded: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i].toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || (reencoded && lower === 'content-encoding')) continue;
    out.push(headers[i], headers[i + 1]);
  }
  if (length > 0) out.push('content-length', String(length));
  return out;
}

/** First value of a header (case-insensitive) in a flat raw array. */
export function headerOf(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === lowerName) return raw[i + 1];
  return undefined;
}
