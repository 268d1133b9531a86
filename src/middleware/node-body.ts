/**
 * Observing a node:http request body without consuming it. The app (a body parser, a
 * `for await` loop, a pipe) reads the request exactly as it would without doppel; doppel
 * sees every chunk as node's HTTP parser pushes it into the request stream (a wrapper of
 * `req.push`), so flowing mode, backpressure and `'data'` listeners are untouched.
 *
 * Bytes already buffered when the middleware runs (after an asynchronous middleware) are
 * recovered with `read()` + `unshift()` when nobody listens yet. A body the app never
 * reads is drained by node once the response ended; doppel keeps that drain feeding the
 * copies, so they still get the whole body. A copy that cannot be complete (the client
 * went away, part of the body was read before doppel saw it) is cut off (outcome
 * `aborted`), never sent short.
 */
import type { IncomingMessage } from 'node:http';
import type { BodySink } from '../mirror/body.js';
import { bodyLengthOf } from './headers.js';

const TAP = Symbol.for('doppel.requestBodyTap');

/** Internals of IncomingMessage that the tap reads (stable since early node versions). */
interface TappedRequest extends IncomingMessage {
  [TAP]?: RequestTap;
  _dumped?: boolean;
  _consuming?: boolean;
  _dump?: () => void;
}

const toBuffer = (chunk: unknown, encoding?: BufferEncoding): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array);

class RequestTap {
  private sinks: BodySink[] = [];
  /** Bytes that entered the request stream since it was created (those buffered at install included). */
  private seen: number;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  private readonly partial: boolean;
  private detach: () => void = () => {};

  constructor(private readonly req: TappedRequest) {
    // Kept on the request after the end too, so later sinks know how much was read.
    req[TAP] = this;
    this.seen = req.readableLength;
    // Someone read part of the body before the tap existed: what was read is gone.
    this.partial = req.readableDidRead;
    if ((req as unknown as { _readableState?: { ended?: boolean } })._readableState?.ended === true) {
      this.state = 'finished'; // every byte is in the buffer already; nothing more is pushed
      return;
    }
    const original = req.push;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tap = this;
    const wrapped = function (this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk === null) tap.end();
      else if (chunk !== undefined) tap.chunk(toBuffer(chunk, encoding));
      return original.call(this, chunk, encoding);
    };
    req.push = wrapped;
    const onClose = (): void => {
      if (this.state === 'open') this.close('aborted');
    };
    // 'close' without the end: the client went away (no 'error' listener is added, so
    // node's choice of emitting 'error' stays the app's).
    req.once('close', onClose);
    // When the response ends with the body unread, node drains the rest of the body and
    // stops pushing it (`_dump`). While copies still need it, drain the same way (no
    // 'data' listeners, resume) but keep the pushes, so the copies get the whole body.
    const dump = req._dump;
    const drain = function (this: TappedRequest): void {
      if (tap.state !== 'open' || typeof dump !== 'function') return dump?.call(this);
      this.removeAllListeners('data');
      this.resume();
    };
    if (typeof dump === 'function') req._dump = drain;
    this.detach = () => {
      req.off('close', onClose);
      if (req._dump === drain) delete (req as { _dump?: unknown })._dump;
      if (req.push === wrapped) delete (req as { push?: unknown }).push;
    };
  }

  /** Adds a consumer. It gets the bytes pushed before it only while they are all still buffered. */
  add(sink: BodySink): void {
    if (this.state === 'aborted' || this.partial) return sink.abort();
    if (this.seen > 0) {
      if (this.req.readableLength !== this.seen) return sink.abort(); // the app has read part of it already
      const recovered = this.recover();
      if (recovered === null) return sink.abort();
      sink.offer(recovered);
    }
    if (this.state === 'finished') {
      const length = bodyLengthOf(this.req.rawHeaders);
      if (length >= 0 && this.seen !== length) sink.abort();
      else sink.finish();
      return;
    }
    this.sinks.push(sink);
  }

  /** Takes the buffered bytes out and puts them back; null when a reader would see that. */
  private recover(): Buffer | null {
    const req = this.req;
    if (req.readableFlowing === true || req.listenerCount('data') > 0 || req.listenerCount('readable') > 0 || req.readableEncoding !== null) return null;
    const consuming = req._consuming;
    const chunk = req.read() as Buffer | null;
    // read() marks the request as being consumed; keep node's own bookkeeping (it drains unread bodies).
    req._consuming = consuming;
    if (chunk === null) return null;
    req.unshift(chunk);
    return chunk;
  }

  private chunk(chunk: Buffer): void {
    if (this.state !== 'open') return;
    this.seen += chunk.length;
    for (const s of this.sinks) s.offer(chunk);
  }

  private end(): void {
    if (this.state !== 'open') return;
    // After the response ended with the body unread, node drops the rest of it: a copy is
    // complete only when every byte was seen.
    const length = bodyLengthOf(this.req.rawHeaders);
    const complete = this.req._dumped !== true || (length >= 0 && this.seen === length);
    this.close(complete ? 'finished' : 'aborted');
  }

  private close(state: 'finished' | 'aborted'): void {
    this.state = state;
    const sinks = this.sinks;
    this.sinks = [];
    for (const s of sinks) {
      if (state === 'finished') s.finish();
      else s.abort();
    }
    this.detach();
  }
}

/** True when the request body was already read to its end (by a body parser, say). */
export function bodyConsumed(req: IncomingMessage): boolean {
  return req.readableEnded;
}

/**
 * Feeds the request body to `sink` as the app reads it; never reads the stream itself.
 * Several sinks (mirror and shadow) share one tap per request.
 *
 * @example
 * ```ts
 * const ticket = engine.begin(info);
 * if (ticket?.body) observeRequestBody(req, ticket.body);
 * next();
 * ```
 */
export function observeRequestBody(req: IncomingMessage, sink: BodySink): void {
  const r = req as TappedRequest;
  if (req.readableEnded) return sink.abort();
  (r[TAP] ?? new RequestTap(r)).add(sink);
}
