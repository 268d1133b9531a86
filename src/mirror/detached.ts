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
import type { CopyDispatcher } from './copy-client.js';

/** Response header names and values in turn: Buffers from undici, strings from the copy client. */
export type RawHeaders = ReadonlyArray<Buffer | string>;

/** Sees the response (status, raw headers, body chunks); a mirror copy needs none. */
export interface ResponseSink {
  start(status: number, rawHeaders: RawHeaders): void;
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
    private readonly raw: RawHeaders,
    readonly ttfb: number,
    readonly total: number,
  ) {}

  get headers(): IncomingHttpHeaders {
    return (this.parsed ??= rawToRecord(this.raw) as IncomingHttpHeaders);
  }
}

/** Shared by every request that has not seen response headers yet. */
const NO_HEADERS: RawHeaders = [];

/**
 * One detached request, as an undici handler on the interface the client calls directly
 * (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`), so undici neither wraps
 * it in an adapter nor turns headers and trailers into objects per response; the header
 * object of the outcome is built only when someone reads it. A subclass says what happens
 * with the outcome, so a request in flight is this one object (no callback closure).
 *
 * @example
 * ```ts
 * class Logged extends DetachedRequest {
 *   protected settled(o: DetachedOutcome): void { console.log(o.error?.code ?? o.status); }
 * }
 * new Logged(DeadlineList.for(5000), 'staging timed out').dispatch(pool, opts);
 * ```
 */
export abstract class DetachedRequest implements Deadline {
  private abortFn: ((err?: Error) => void) | null = null;
  private failed: DoppelError | null = null;
  private status = 0;
  private rawHeaders: RawHeaders = NO_HEADERS;
  private ttfb = 0;
  private ended = false;
  private readonly started = now();
  deadline = 0;
  prevDeadline: Deadline | null = null;
  nextDeadline: Deadline | null = null;

  constructor(
    private readonly deadlines: DeadlineList,
    private readonly timeoutMessage: string,
    private readonly sink?: ResponseSink,
  ) {
    deadlines.add(this);
  }

  /** Receives the outcome, once. */
  protected abstract settled(outcome: DetachedOutcome): void;

  /** Sends the request; a dispatcher that throws settles it with the mapped error. */
  dispatch(dispatcher: CopyDispatcher, opts: Dispatcher.DispatchOptions): void {
    try {
      dispatcher.dispatch(opts, this as Dispatcher.DispatchHandler);
    } catch (err) {
      this.finish(toMirrorError(err));
    }
  }

  expire(): void {
    this.failed = new DoppelError('DOPPEL_ERR_MIRROR_TIMEOUT', this.timeoutMessage);
    if (this.abortFn !== null) this.abortFn(this.failed);
    else this.finish(this.failed);
  }

  private finish(error: DoppelError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.deadlines.remove(this);
    this.settled(new Outcome(error, this.status, this.rawHeaders, this.ttfb, now() - this.started));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.failed !== null) abort(this.failed);
  }

  onHeaders(statusCode: number, rawHeaders: RawHeaders, _resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = rawHeaders ?? NO_HEADERS;
    this.ttfb = now() - this.started;
    this.sink?.start(statusCode, this.rawHeaders);
    return true;
  }

  /** A sink keeps the body's chunks: the lean copy client then hands over copies. */
  get keepsData(): boolean {
    return this.sink !== undefined;
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

/** A detached request that hands its outcome to a callback. */
class CallbackRequest extends DetachedRequest {
  constructor(deadlines: DeadlineList, timeoutMessage: string, sink: ResponseSink | undefined, private readonly callback: (outcome: DetachedOutcome) => void) {
    super(deadlines, timeoutMessage, sink);
  }

  protected settled(outcome: DetachedOutcome): void {
    this.callback(outcome);
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
export function dispatchDetached(dispatcher: CopyDispatcher, opts: Dispatcher.DispatchOptions, timeoutMs: number, timeoutMessage: string, sink?: ResponseSink): Promise<DetachedOutcome> {
  return new Promise<DetachedOutcome>((resolve) => new CallbackRequest(DeadlineList.for(timeoutMs), timeoutMessage, sink, resolve).dispatch(dispatcher, opts));
}
