/**
 * Forwarding to the primary: one undici `dispatch` whose handler writes the upstream's
 * status, headers and body chunks straight into the client's `ServerResponse`, with
 * backpressure both ways and no intermediate stream. An optional {@link ResponseTap}
 * sees the same response (the shadow stage keeps a bounded copy through it).
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { DoppelError } from '../core/errors.js';
import { forwardResponseHeaders } from '../core/headers.js';
import { now } from '../mirror/limits.js';

/** Observes the primary's response as it streams to the client. Must not throw. */
export interface ResponseTap {
  start(status: number, rawHeaders: string[]): void;
  data(chunk: Buffer): void;
  end(): void;
  error(err: DoppelError): void;
}

/** How a forwarded request ended. */
export interface ForwardResult {
  status: number;
  /** Set when the request ended with a doppel error (the client got a 5xx or a cut connection). */
  error?: DoppelError;
  ttfb: number;
  duration: number;
}

/** Maps an undici or socket error of the primary request to a typed doppel error. */
export function toUpstreamError(err: unknown): DoppelError {
  if (err instanceof DoppelError) return err;
  const e = err as { code?: string; name?: string; message?: string } | null;
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
      return new DoppelError('DOPPEL_ERR_UPSTREAM_CONNECT', msg, { cause: err });
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new DoppelError('DOPPEL_ERR_UPSTREAM_TIMEOUT', msg, { cause: err });
    case 'UND_ERR_BODY_TIMEOUT':
      return new DoppelError('DOPPEL_ERR_UPSTREAM_BODY_TIMEOUT', msg, { cause: err });
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return new DoppelError('DOPPEL_ERR_BAD_REQUEST', 'request body length does not match Content-Length', { cause: err });
    case 'UND_ERR_ABORTED':
      return new DoppelError('DOPPEL_ERR_CLIENT_ABORTED', msg, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new DoppelError('DOPPEL_ERR_UPSTREAM_RESET', msg, { cause: err });
    default:
      // undici's HTTPParserError may carry no code (its code table is keyed by name).
      if (code.startsWith('HPE_') || e?.name === 'HTTPParserError' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'UND_ERR_INFO') {
        return new DoppelError('DOPPEL_ERR_UPSTREAM_PROTOCOL', msg, { cause: err });
      }
      return new DoppelError('DOPPEL_ERR_UPSTREAM_RESET', msg, { cause: err });
  }
}

/** Writes a doppel error response (when headers were not sent yet) or cuts the connection. */
export function sendError(res: ServerResponse, err: DoppelError): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const status = err.status >= 400 ? err.status : 502;
  const body = `${JSON.stringify({ error: err.code, message: err.message })}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-doppel-error': err.code,
  });
  res.end(body);
}

/**
 * One forwarded exchange, as an undici handler. It implements the handler interface the
 * undici client calls directly (`onConnect`, `onHeaders`, `onData`, `onComplete`,
 * `onError`): with the newer `onRequestStart`/`onResponseStart` interface undici wraps
 * every request in an adapter that also turns the response headers and trailers into
 * objects, which nothing here reads. A class instead of closures keeps the per-request
 * allocations to this object and one bound listener.
 */
class ForwardHandler {
  private abortFn: ((err?: Error) => void) | null = null;
  private resumeFn: (() => void) | null = null;
  private status = 0;
  private ttfb = 0;
  private done = false;
  private readonly started = now();
  private readonly onClose = (): void => {
    if (!this.res.writableFinished && !this.done) {
      const err = new DoppelError('DOPPEL_ERR_CLIENT_ABORTED');
      this.abortFn?.(err);
      this.finish(err);
    }
  };
  private readonly onDrain = (): void => this.resumeFn?.();

  constructor(
    private readonly res: ServerResponse,
    private readonly tap: ResponseTap | undefined,
    private readonly callback: (result: ForwardResult) => void,
  ) {
    res.on('close', this.onClose);
  }

  finish(error?: DoppelError): void {
    if (this.done) return;
    this.done = true;
    const res = this.res;
    res.off('close', this.onClose);
    res.off('drain', this.onDrain);
    if (error !== undefined) {
      this.tap?.error(error);
      if (error.code !== 'DOPPEL_ERR_CLIENT_ABORTED') sendError(res, error);
      if (!res.headersSent || this.status === 0) this.status = error.status;
    }
    this.callback({ status: this.status, error, ttfb: this.ttfb, duration: now() - this.started });
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.done) abort(new DoppelError('DOPPEL_ERR_CLIENT_ABORTED'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    this.resumeFn = resume;
    this.status = statusCode;
    this.ttfb = now() - this.started;
    const raw = forwardResponseHeaders(rawHeaders ?? []);
    this.tap?.start(statusCode, raw);
    if (statusText) this.res.writeHead(statusCode, statusText, raw);
    else this.res.writeHead(statusCode, raw);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.tap?.data(chunk);
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.onDrain);
    return false;
  }

  onComplete(): void {
    this.tap?.end();
    this.res.end();
    this.finish();
  }

  onError(err: Error): void {
    this.finish(toUpstreamError(err));
  }
}

/**
 * Sends the request to the primary and streams its response to `res`; `callback` runs
 * once when the exchange is over. A client that goes away aborts the upstream request.
 *
 * @example
 * ```ts
 * forwardTo(pool, { origin, path: req.url!, method: 'GET', headers }, res, undefined, (r) => console.log(r.status));
 * ```
 */
export function forwardTo(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, res: ServerResponse, tap: ResponseTap | undefined, callback: (result: ForwardResult) => void): void {
  const handler = new ForwardHandler(res, tap, callback);
  try {
    dispatcher.dispatch(opts, handler as Dispatcher.DispatchHandler);
  } catch (err) {
    handler.finish(toUpstreamError(err));
  }
}

/**
 * Sends the request to the primary and streams its response to `res`. Resolves when the
 * exchange is over; never rejects. A client that goes away aborts the upstream request.
 *
 * @example
 * ```ts
 * const result = await forward(pool, { origin, path: req.url!, method: 'GET', headers }, res);
 * ```
 */
export function forward(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, res: ServerResponse, tap?: ResponseTap): Promise<ForwardResult> {
  return new Promise<ForwardResult>((resolve) => forwardTo(dispatcher, opts, res, tap, resolve));
}
