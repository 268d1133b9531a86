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
 * Sends the request to the primary and streams its response to `res`. Resolves when the
 * exchange is over; never rejects. A client that goes away aborts the upstream request.
 *
 * @example
 * ```ts
 * const result = await forward(pool, { origin, path: req.url!, method: 'GET', headers }, res);
 * ```
 */
export function forward(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, res: ServerResponse, tap?: ResponseTap): Promise<ForwardResult> {
  const started = now();
  return new Promise<ForwardResult>((resolve) => {
    let controller: Dispatcher.DispatchController | null = null;
    let status = 0;
    let ttfb = 0;
    let done = false;
    const finish = (error?: DoppelError): void => {
      if (done) return;
      done = true;
      res.off('close', onClose);
      res.off('drain', onDrain);
      if (error !== undefined) {
        tap?.error(error);
        if (error.code !== 'DOPPEL_ERR_CLIENT_ABORTED') sendError(res, error);
        if (!res.headersSent || status === 0) status = error.status;
      }
      resolve({ status, error, ttfb, duration: now() - started });
    };
    const onDrain = (): void => controller?.resume();
    const onClose = (): void => {
      if (!res.writableFinished && !done) {
        const err = new DoppelError('DOPPEL_ERR_CLIENT_ABORTED');
        controller?.abort(err);
        finish(err);
      }
    };
    res.on('close', onClose);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (done) c.abort(new DoppelError('DOPPEL_ERR_CLIENT_ABORTED'));
      },
      onResponseStart(c, statusCode, _headers, statusMessage) {
        if (statusCode < 200) return;
        status = statusCode;
        ttfb = now() - started;
        const raw = forwardResponseHeaders((c.rawHeaders as Buffer[] | null) ?? []);
        tap?.start(statusCode, raw);
        if (statusMessage) res.writeHead(statusCode, statusMessage, raw);
        else res.writeHead(statusCode, raw);
      },
      onResponseData(c, chunk) {
        tap?.data(chunk);
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', onDrain);
        }
      },
      onResponseEnd() {
        tap?.end();
        res.end();
        finish();
      },
      onResponseError(_c, err) {
        finish(toUpstreamError(err));
      },
    };
    try {
      dispatcher.dispatch(opts, handler);
    } catch (err) {
      finish(toUpstreamError(err));
    }
  });
}
