/**
 * Rebuilding a request body from what a body parser left in `req.body`, for a middleware
 * mounted after the parser (the stream is consumed by then). Byte-identity is only
 * guaranteed for raw Buffers and text; JSON and forms are re-serialised (key order kept,
 * whitespace and number formatting normalised, `Content-Encoding` dropped because the
 * parser decoded the body).
 */

/** `a[b][c]=v` keys for nested objects, repeated keys for arrays (what qs and querystring both read back). */
function formPairs(prefix: string, value: unknown, out: [string, string][]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) {
      if (v !== null && typeof v === 'object') formPairs(`${prefix}[]`, v, out);
      else formPairs(prefix, v, out);
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) formPairs(prefix === '' ? k : `${prefix}[${k}]`, v, out);
    return;
  }
  out.push([prefix, value === null ? '' : String(value)]);
}

/**
 * The bytes of a parsed body, or null when there is none (`undefined`, or an empty
 * object that a parser set without reading anything is not told apart: callers check the
 * stream state first).
 *
 * @example
 * ```ts
 * serialiseParsedBody({ a: 1 }, 'application/json'); // Buffer '{"a":1}'
 * serialiseParsedBody({ q: 'x y', tags: ['a', 'b'] }, 'application/x-www-form-urlencoded'); // 'q=x+y&tags=a&tags=b'
 * ```
 */
export function serialiseParsedBody(body: unknown, contentType: string | undefined): Buffer | null {
  if (body === undefined || body === null) return null;
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded') && typeof body === 'object') {
    const pairs: [string, string][] = [];
    formPairs('', body, pairs);
    return Buffer.from(new URLSearchParams(pairs).toString(), 'utf8');
  }
  return Buffer.from(JSON.stringify(body), 'utf8');
}
