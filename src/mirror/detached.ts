/**
 * One request sent detached from any client exchange: its own whole-request timer, its
 * response read to the end (so the connection is reused), failures mapped to typed
 * errors. Mirror copies and shadow backends both go through it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { DoppelError } from '../core/errors.js';
import { now } from './limits.js';

/** Sees the response (status, raw headers, body chunks); a mirror copy needs none. */
export interface ResponseSink {
  start(status: number, rawHeaders: Buffer[]): void;
  data(chunk: Buffer): void;
}

/** How a detached request ended. Times in ms from the dispatch. */
export interface DetachedOutcome {
  error: DoppelError | null;
  status: number;
  headers: IncomingHttpHeaders;
  ttfb: number;
  total: number;
}

/** Maps any failure of a detached request to a typed mirror error. */
export function toMirrorError(err: unknown): DoppelError {
  if (err instanceof DoppelError) return err;
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new DoppelError('DOPPEL_ERR_MIRROR_CONNECT', String((err as Error).message), { cause: err });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new DoppelError('DOPPEL_ERR_MIRROR_TIMEOUT', undefined, { cause: err });
  return new DoppelError('DOPPEL_ERR_MIRROR_FAILED', String((err as Error)?.message ?? err), { cause: err });
}

/**
 * Dispatches `opts` and resolves when the response has ended, failed or timed out; never
 * rejects.
 *
 * @example
 * ```ts
 * const outcome = await dispatchDetached(pool, opts, 5000, 'mirror staging timed out');
 * if (outcome.error) console.log(outcome.error.code);
 * ```
 */
export function dispatchDetached(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, timeoutMs: number, timeoutMessage: string, sink?: ResponseSink): Promise<DetachedOutcome> {
  const started = now();
  return new Promise<DetachedOutcome>((resolve) => {
    let controller: Dispatcher.DispatchController | null = null;
    let failed: DoppelError | null = null;
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let ttfb = 0;
    let done = false;
    const finish = (error: DoppelError | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ error, status, headers, ttfb, total: now() - started });
    };
    const timer = setTimeout(() => {
      failed = new DoppelError('DOPPEL_ERR_MIRROR_TIMEOUT', timeoutMessage);
      if (controller !== null) controller.abort(failed);
      else finish(failed);
    }, timeoutMs);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (c) => {
        controller = c;
        if (failed !== null) c.abort(failed);
      },
      onResponseStart: (c, statusCode, h) => {
        if (statusCode < 200) return;
        status = statusCode;
        headers = h;
        ttfb = now() - started;
        sink?.start(statusCode, (c.rawHeaders as Buffer[] | null) ?? []);
      },
      onResponseData: sink ? (_c, chunk) => sink.data(chunk) : () => {},
      onResponseEnd: () => finish(null),
      onResponseError: (_c, err) => finish(failed ?? toMirrorError(err)),
    };
    try {
      dispatcher.dispatch(opts, handler);
    } catch (err) {
      finish(toMirrorError(err));
    }
  });
}
