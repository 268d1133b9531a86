/**
 * Watching a node:http response as the app writes it (for shadow comparison), and holding
 * its end until the copies are done (for `async: false`). The watch wraps `writeHead`,
 * `write` and `end` on the one response object: every call goes through unchanged, in the
 * same order, with the same arguments and return values.
 */
import type { ServerResponse } from 'node:http';
import { DoppelError } from '../core/errors.js';
import { now } from '../mirror/limits.js';
import type { ForwardResult, ResponseTap } from '../primary/forward.js';

type Chunk = string | Uint8Array;
type Callback = (err?: Error | null) => void;

function flatten(headers: Record<string, number | string | string[] | undefined>): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) raw.push(name, String(v));
    else raw.push(name, String(value));
  }
  return raw;
}

/** Headers given to `writeHead(status, [reason], headers)`, flat. */
function writeHeadHeaders(args: unknown[]): string[] {
  const h = typeof args[0] === 'string' ? args[1] : args[0];
  if (h === undefined || h === null) return [];
  if (Array.isArray(h)) {
    if (h.length > 0 && Array.isArray(h[0])) return (h as [string, string][]).flatMap(([k, v]) => [String(k), String(v)]);
    return (h as unknown[]).map(String);
  }
  return flatten(h as Record<string, string | string[]>);
}

function toBuffer(chunk: Chunk, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Reports what the app sends on `res` to `tap`, then `done` once it finished (or the
 * client went away). Status and headers are taken when the first body byte or the end is
 * written: `getHeaders()` merged with those passed to `writeHead`.
 *
 * @example
 * ```ts
 * observeResponse(res, { start, data, end, error }, (result) => ticket.done(result));
 * ```
 */
export function observeResponse(res: ServerResponse, tap: ResponseTap, done: (result: ForwardResult) => void): void {
  const started = now();
  let ttfb = -1;
  let explicit: string[] | null = null;
  const writeHead = res.writeHead;
  const write = res.write;
  const end = res.end;
  const start = (): void => {
    if (ttfb >= 0) return;
    ttfb = now() - started;
    const own = flatten(res.getHeaders());
    let raw = own;
    if (explicit !== null) {
      const names = new Set<string>();
      for (let i = 0; i < explicit.length; i += 2) names.add(explicit[i].toLowerCase());
      raw = [];
      for (let i = 0; i < own.length; i += 2) if (!names.has(own[i].toLowerCase())) raw.push(own[i], own[i + 1]);
      raw.push(...explicit);
    }
    tap.start(res.statusCode, raw);
  };
  const hasBody = (): boolean => (res as unknown as { _hasBody?: boolean })._hasBody !== false;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    explicit = writeHeadHeaders(args.slice(1));
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  res.write = function (this: ServerResponse, chunk: Chunk, encoding?: unknown, cb?: Callback) {
    start();
    if (hasBody() && chunk !== undefined && chunk !== null && typeof chunk !== 'function') tap.data(toBuffer(chunk, encoding));
    return (write as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown) {
    start();
    if (hasBody() && chunk !== undefined && chunk !== null && typeof chunk !== 'function') tap.data(toBuffer(chunk as Chunk, encoding));
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, encoding, cb);
  } as ServerResponse['end'];
  let over = false;
  res.once('finish', () => {
    if (over) return;
    over = true;
    start();
    tap.end();
    done({ status: res.statusCode, ttfb, duration: now() - started });
  });
  res.once('close', () => {
    if (over) return;
    over = true;
    const error = new DoppelError('DOPPEL_ERR_CLIENT_ABORTED');
    tap.error(error);
    done({ status: res.statusCode, error, ttfb: Math.max(ttfb, 0), duration: now() - started });
  });
}

/**
 * Holds the end of `res` until `until` settles: the app writes as usual, the last write
 * (and the response's completion) waits for the copies. Used for `async: false`.
 *
 * @example
 * ```ts
 * if (!engine.async) holdResponse(res, ticket.done);
 * ```
 */
export function holdResponse(res: ServerResponse, until: Promise<unknown>): void {
  const end = res.end;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    const self = this;
    void until.then(
      () => (end as (...a: unknown[]) => ServerResponse).apply(self, args),
      () => (end as (...a: unknown[]) => ServerResponse).apply(self, args),
    );
    return this;
  } as ServerResponse['end'];
}
