/**
 * The request and the two responses kept with a shadow sample, for the side-by-side view:
 * headers redacted, bodies decoded (content-encoding, charset), JSON bodies parsed and
 * redacted by path, and everything capped.
 */
import type { CapturedResponse } from '../compare/types.js';
import { decodeBody, decodeText, parseMediaType } from '../compare/index.js';
import { rawToRecord } from '../core/headers.js';
import type { ResponseView, SampleExchangeParts } from './aggregate-types.js';
import type { Redactor } from './redact.js';

/** Default cap of a kept body, in characters of text (64 KiB). */
export const DEFAULT_SAMPLE_BODY_CAP = 64 * 1024;
/** Longest request url kept. */
const MAX_URL = 2048;
/** Decoded bodies larger than this are not shown. */
const MAX_DECODED = 16 * 1024 * 1024;

function looksJson(type: string, text: string): boolean {
  const t = text.trimStart();
  return type === 'application/json' || type.endsWith('+json') || t.startsWith('{') || t.startsWith('[');
}

function isBinary(text: string): boolean {
  const head = text.slice(0, 2048);
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0) return true;
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13)) odd++;
  }
  return odd > head.length / 10;
}

/**
 * One response as kept: status, redacted headers and the decoded body, at most `cap`
 * characters. A JSON body is parsed and redacted by path; when JSON paths are configured
 * and a JSON-looking body cannot be parsed (for instance because it was cut), the body is
 * omitted rather than kept unredacted.
 *
 * @example
 * ```ts
 * const view = responseView(captured, createRedactor({ paths: ['$..token'] }));
 * ```
 */
export function responseView(r: CapturedResponse, redactor: Redactor, cap = DEFAULT_SAMPLE_BODY_CAP): ResponseView {
  const base = { status: r.status, headers: redactor.headers(r.headers), size: r.size };
  if (r.size === 0 && r.body.length === 0) return { ...base, bodyType: 'empty', body: null, truncated: false };
  const decoded = decodeBody(r.body, r.headers['content-encoding'], MAX_DECODED);
  if (!decoded.ok) return { ...base, bodyType: 'omitted', body: null, truncated: r.truncated, note: `body not decoded: ${decoded.note}` };
  const media = parseMediaType(r.headers['content-type']);
  const { text } = decodeText(decoded.body, media.charset);
  if (isBinary(text)) return { ...base, bodyType: 'binary', body: null, truncated: r.truncated, note: `binary body of ${r.size} bytes` };
  if (looksJson(media.type, text)) {
    let json: unknown;
    let parsed = false;
    try {
      json = JSON.parse(text);
      parsed = true;
    } catch {
      parsed = false;
    }
    if (parsed) {
      const redacted = redactor.body(json);
      const out = JSON.stringify(redacted);
      if (out.length <= cap) return { ...base, bodyType: 'json', body: redacted, truncated: r.truncated };
      return { ...base, bodyType: 'text', body: out.slice(0, cap), truncated: true, note: `JSON body longer than ${cap} characters, cut` };
    }
    if (redactor.hasPaths) {
      return { ...base, bodyType: 'omitted', body: null, truncated: r.truncated, note: 'JSON body could not be parsed, so it could not be redacted' };
    }
  }
  if (text.length <= cap) return { ...base, bodyType: 'text', body: text, truncated: r.truncated };
  return { ...base, bodyType: 'text', body: text.slice(0, cap), truncated: true };
}

/**
 * The request and both responses of a compared exchange, ready to keep with a sample.
 *
 * @example
 * ```ts
 * const parts = exchangeParts('GET', '/users/1', req.rawHeaders, primary, candidate, redactor);
 * ```
 */
export function exchangeParts(
  method: string,
  url: string,
  rawHeaders: ReadonlyArray<Buffer | string>,
  primary: CapturedResponse,
  candidate: CapturedResponse,
  redactor: Redactor,
  cap = DEFAULT_SAMPLE_BODY_CAP,
): SampleExchangeParts {
  return {
    request: { method, url: url.slice(0, MAX_URL), headers: redactor.headers(rawToRecord(rawHeaders)) },
    primary: responseView(primary, redactor, cap),
    candidate: responseView(candidate, redactor, cap),
  };
}
