/**
 * One request sent detached from any client exchange: a whole-request deadline (shared
 * timers, see deadlines.ts), its response read to the end (so the connection is reused),
 * failures mapped to typed errors. Mirror copies and shadow backends both go through it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { DoppelError } from '../core/errors.js';
import { rawToRecord } from '../core/headers.js';
import { now } from './limits.js';
import { DeadlineList, type Deadline } from './deadlines.js';

/** Sees the response (status, raw headers, body chunks); a mirror copy needs none. */
export interface ResponseSink {
  start(status: number, rawHeaders: Buffer[]): void;
  data(chunk: Buffer): void;
}

/** How a detached request ended. Times in ms from the dispatch. */
export interface DetachedOutcome {
  error: DoppelError | null;
  status: number;
  /** Response headers (built from the raw ones when first read). */
  readonly headers: IncomingHttpHeaders;
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

/** A {@link DetachedOutcome} whose header object is built on first use. */
class Outcome implements DetachedOutcome {
  private parsed: IncomingHttpHeaders | null = null;
  constructor(
    readonly error: DoppelError | null,
    readonly status: number,
    private readonly raw: Buffer[],
    readonly ttfb: number,
    readonly total: number,
  ) {}

  get headers(): IncomingHttpHeaders {
    return (this.parsed ??= rawToRecord(this.raw) as IncomingHttpHeaders);
  }
}

/**
 * One detached request, as an undici handler on the interface the client calls directly
 * (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`), so undici neither wraps
 * it in an adapter nor turns headers and trailers into objects per response; the header
 * object of the outcome is built only when someone reads it.
 */
class DetachedHandler implements Deadline {
  private abortFn: ((err?: Error) => void) | null = null;
  private failed: DoppelError | null = null;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private ttfb = 0;
  private done = false;
  private readonly started = now();
  deadline = 0;
  prevDeadline: Deadline | null = null;
  nextDeadline: Deadline | null = null;

  constructor(
    private readonly deadlines: DeadlineList,
    private readonly timeoutMessage: string,
    private readonly sink: ResponseSink | undefined,
    private readonly callback: (outcome: DetachedOutcome) => void,
  ) {
    deadlines.add(this);
  }

  expire(): void {
    this.failed = new DoppelError('DOPPEL_ERR_MIRROR_TIMEOUT', this.timeoutMessage);
    if (this.abortFn !== null) this.abortFn(this.failed);
    else this.finish(this.failed);
  }

  finish(error: DoppelError | null): void {
    if (this.done) return;
    this.done = true;
    this.deadlines.remove(this);
    this.callback(new Outcome(error, this.status, this.rawHeaders, this.ttfb, now() - this.started));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.failed !== null) abort(this.failed);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = rawHeaders ?? [];
    this.ttfb = now() - this.started;
    this.sink?.start(statusCode, this.rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.sink?.data(chunk);
    return true;
  }

  onComplete(): void {
    this.finish(null);
  }

  onError(err: Error): void {
    this.finish(this.failed ?? toMirrorError(err));
  }
}

/**
 * Dispatches `opts`; `callback` runs once when the response has ended, failed or timed out.
 *
 * @example
 * ```ts
 * sendDetached(pool, opts, 5000, 'mirror staging timed out', undefined, (o) => console.log(o.error?.code ?? o.status));
 * ```
 */
export function sendDetached(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, timeoutMs: number, timeoutMessage: string, sink: ResponseSink | undefined, callback: (outcome: DetachedOutcome) => void): void {
  const handler = new DetachedHandler(DeadlineList.for(timeoutMs), timeoutMessage, sink, callback);
  try {
    dispatcher.dispatch(opts, handler as Dispatcher.DispatchHandler);
  } catch (err) {
    handler.finish(toMirrorError(err));
  }
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
  return new Promise<DetachedOutcome>((resolve) => sendDetached(dispatcher, opts, timeoutMs, timeoutMessage, sink, resolve));
}
