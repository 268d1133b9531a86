/**
 * A lean HTTP/1.1 client for the copies that need no more, to plain `http:` targets with
 * pipelining: GET and HEAD copies without a body, and copies whose whole body is already
 * in memory ({@link WholeBody}). Copies made while one batch of client requests is handled
 * leave in one write per connection; answers are read with a small parser that looks
 * only at the status, the framing (Content-Length, chunked, close) and keeps the header
 * lines as strings. Everything else (body streams, TLS, no pipelining) goes to an undici
 * Pool, which is also the reference for the behaviour kept here: only bodiless GET and
 * HEAD are pipelined, and those written but not answered when a connection closes are
 * sent once more on another one; any other request goes out on an idle connection,
 * nothing is queued behind it, and once written it is never sent again; an aborted
 * request that was already written closes its connection.
 *
 * Measured against undici's Pool with the same pipelining, doppel on one CPU under wrk
 * (every request copied, paired rounds): a GET 1 KB copy's CPU 43 -> 27 us, mirrored /
 * plain req/s 0.65 -> 0.77; CPU per mirrored 64 KB POST 0.78-1.08 of undici's (median
 * 0.92 over 16 rounds) (docs/benchmarks.md).
 */
import type { Dispatcher } from 'undici';
import { DoppelError } from '../core/errors.js';
import { now } from './limits.js';
import { CopyConnection, type Exchange } from './copy-connection.js';

/** The handler interface of a detached request (the part of undici's that it implements). */
export interface CopyHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean;
  /** A chunk of the answer's body: a view over a buffer the client reads into again, valid during the call only, unless {@link keepsData}. */
  onData(chunk: Buffer): boolean;
  onComplete(trailers: null): void;
  onError(err: Error): void;
  /** Set when `onData` keeps its chunks: it is then given copies. */
  readonly keepsData?: boolean;
}

/** What a bodiless copy asks for: the parts of undici's dispatch options (built by compileCopy) it uses. */
export interface CopyRequest {
  method: string;
  path: string;
  headers?: readonly string[] | null;
}

/** Something copies can be dispatched to (an undici Pool or a {@link CopyClient}). */
export interface CopyDispatcher {
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BAD_PATH = /[^\x21-\xff]/;
const EMPTY = Buffer.alloc(0);

/**
 * The request head of a copy, or an error for a path or header undici would refuse too.
 * With `bodyLength` (a whole body follows) the head states that length itself, in place
 * of any Content-Length among the headers.
 */
export function requestHead(opts: CopyRequest, bodyLength = -1): string {
  if (BAD_PATH.test(opts.path) || opts.path === '') throw new DoppelError('DOPPEL_ERR_MIRROR_FAILED', `invalid request path for a copy: ${JSON.stringify(opts.path)}`);
  const parts = [opts.method, ' ', opts.path, ' HTTP/1.1\r\n'];
  const h = opts.headers ?? [];
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    const value = h[i + 1];
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) throw new DoppelError('DOPPEL_ERR_MIRROR_FAILED', `invalid header for a copy: ${JSON.stringify(name)}`);
    if (bodyLength >= 0 && name.length === 14 && name.toLowerCase() === 'content-length') continue;
    parts.push(name, ': ', value, '\r\n');
  }
  if (bodyLength >= 0) parts.push('content-length: ', String(bodyLength), '\r\n');
  parts.push('\r\n');
  // Joined, the head is one flat string. Built with += it would be a tree of pieces
  // holding every header string of the client's request for as long as the copy is in
  // flight: 1.2 KB kept per head against 0.24 KB (a head with seven headers, measured).
  return parts.join('');
}

export interface CopyClientOptions {
  /** Copies in flight per connection. */
  pipelining: number;
  /** Milliseconds to connect. */
  connectTimeout: number;
  /** Idle connections close after this many ms. */
  keepAlive: number;
}

/**
 * Connections to one `http:` origin for bodiless copies; `fallback` takes every other
 * request.
 *
 * @example
 * ```ts
 * const client = new CopyClient('http://127.0.0.1:9000', { pipelining: 8, connectTimeout: 10_000, keepAlive: 4_000 }, pool);
 * client.dispatch({ method: 'GET', path: '/x', headers: ['host', 'api'] }, handler);
 * ```
 */
export class CopyClient implements CopyDispatcher {
  private readonly host: string;
  private readonly port: number;
  private readonly conns: CopyConnection[] = [];
  /** @internal Set once close() or destroy() ran: connections end when they fall idle. */
  closed = false;
  private closing: (() => void) | null = null;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    origin: string,
    private readonly opts: CopyClientOptions,
    private readonly fallback: CopyDispatcher,
  ) {
    const u = new URL(origin);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || 80);
    this.sweeper = setInterval(() => this.sweep(), Math.max(250, Math.min(opts.keepAlive, 1_000)));
    this.sweeper.unref();
  }

  /**
   * Sends a bodiless GET or HEAD on a pipelined connection, and a copy whose whole body
   * is in memory ({@link WholeBody}) on a connection of its own; anything else (body
   * streams, CONNECT and upgrades) goes to the fallback.
   */
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const method = opts.method;
    const idempotent = method === 'GET' || method === 'HEAD';
    const body = opts.body;
    const lean = body === null || body === undefined ? idempotent : body instanceof WholeBody && method !== 'CONNECT' && !opts.upgrade;
    if (!lean) return this.fallback.dispatch(opts, handler);
    const whole = body instanceof WholeBody ? (body.take() ?? EMPTY) : null;
    const o = opts as CopyRequest;
    const h = handler as unknown as CopyHandler;
    if (this.closed) throw new DoppelError('DOPPEL_ERR_MIRROR_FAILED', 'the copy client is closed');
    const head = requestHead(o, whole === null ? -1 : whole.length);
    // A body is written once and dropped: only bodiless GET and HEAD are pipelined and resent.
    const resendable = idempotent && whole === null;
    const ex: Exchange = { head, body: whole, resendable, isHead: method === 'HEAD', handler: h, conn: null, written: false, settled: false, retried: false, answering: false };
    h.onConnect((err) => this.abort(ex, err));
    this.send(ex);
    return true;
  }

  /**
   * @internal Queues an exchange on a connection with room, opening one when none has.
   * Only bodiless GET and HEAD are pipelined (undici does not pipeline other methods
   * either): any other request goes out on an idle connection and nothing is queued
   * behind it until it is answered.
   */
  send(ex: Exchange): void {
    let c: CopyConnection | undefined;
    const room = ex.resendable ? this.opts.pipelining : 1;
    for (let i = 0; i < this.conns.length; i++) {
      const k = this.conns[i];
      if (k.usable && k.queue.length < room && !k.holdsOther) {
        c = k;
        break;
      }
    }
    if (c === undefined) {
      c = new CopyConnection(this.host, this.port, this, this.opts.connectTimeout);
      this.conns.push(c);
    }
    c.push(ex);
  }

  /**
   * @internal A connection ended: drop it; exchanges it did not answer go out once more
   * or fail. A written request other than a bodiless GET or HEAD is never sent again (the
   * target may have acted on it, and its body is gone).
   */
  ended(c: CopyConnection, unanswered: Exchange[], err: Error): void {
    const i = this.conns.indexOf(c);
    if (i !== -1) this.conns.splice(i, 1);
    for (const ex of unanswered) {
      if (ex.settled) continue;
      if (!c.connected || ex.answering || ex.retried || this.closed || (ex.written && !ex.resendable)) fail(ex, err);
      else {
        ex.retried = true;
        ex.written = false;
        this.send(ex);
      }
    }
    if (this.closing !== null && this.conns.length === 0) this.closing();
  }

  private abort(ex: Exchange, err: Error | undefined): void {
    if (ex.settled) return;
    const why = err ?? new DoppelError('DOPPEL_ERR_MIRROR_FAILED', 'aborted');
    fail(ex, why);
    // Written already: its connection ends (an answer that may never come would hold up the
    // ones behind it; being settled, it is not sent again). Not written yet: it still goes
    // out and its answer is read past.
    if (ex.conn !== null && ex.written) ex.conn.destroy(why);
  }

  private sweep(): void {
    const t = now();
    for (const c of [...this.conns]) if (c.queue.length === 0 && t - c.idleSince > this.opts.keepAlive) c.destroy(null);
  }

  /** Stops taking copies; resolves once the ones under way are answered. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const c of [...this.conns]) if (c.queue.length === 0) c.destroy(null);
    if (this.conns.length > 0) await new Promise<void>((resolve) => (this.closing = resolve));
    await this.fallback.close();
  }

  /** Ends every connection now; copies under way fail. */
  async destroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const c of [...this.conns]) c.destroy(new DoppelError('DOPPEL_ERR_MIRROR_FAILED', 'the copy client was destroyed'));
    await this.fallback.destroy();
  }
}

function fail(ex: Exchange, err: Error): void {
  if (ex.settled) return;
  ex.settled = true;
  ex.handler.onError(err);
}

/**
 * A copy's whole body, already in memory. The lean client takes the buffer and writes it
 * with the request head; undici reads it as an iterable. Either way it lets go of the
 * buffer once taken, so a copy waiting for a slow target does not keep the body alive.
 *
 * @example
 * ```ts
 * client.dispatch({ method: 'POST', path: '/orders', headers: ['host', 'api'], body: new WholeBody(buf) }, handler);
 * ```
 */
export class WholeBody implements AsyncIterable<Buffer> {
  constructor(private body: Buffer | null) {}

  /** The buffer, once: null afterwards. */
  take(): Buffer | null {
    const b = this.body;
    this.body = null;
    return b;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: async () => {
        const b = this.take();
        return b === null ? { done: true, value: undefined } : { done: false, value: b };
      },
    };
  }
}
