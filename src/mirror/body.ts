/**
 * Request-body fan-out. The client's body is read once; every chunk goes to the primary's
 * body stream (which sets the pace through backpressure) and to each copy's body stream.
 * A copy never slows the primary: a copy whose unsent bytes pass its lag limit, or whose
 * body passes its size limit, is cut off with a typed error instead.
 */
import { Readable } from 'node:stream';
import { DoppelError } from '../core/errors.js';

/** Body stream of one copy. `offer` is called by the fan-out; undici reads it. */
export class CopyBody extends Readable {
  private bytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly maxLag: number,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _read(): void {}

  /** Queues a chunk; cuts the copy off when it is too large or too far behind. */
  offer(chunk: Buffer): void {
    if (this.destroyed) return;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.destroy(new DoppelError('DOPPEL_ERR_MIRROR_BODY_SIZE'));
      return;
    }
    this.push(chunk);
    if (this.readableLength > this.maxLag) this.destroy(new DoppelError('DOPPEL_ERR_MIRROR_SLOW'));
  }

  finish(): void {
    if (!this.destroyed) this.push(null);
  }

  abort(): void {
    if (!this.destroyed) this.destroy(new DoppelError('DOPPEL_ERR_MIRROR_SOURCE_ABORTED'));
  }
}

/** Body stream for the primary; pulling from it resumes the client stream. */
class PrimaryBody extends Readable {
  constructor(private readonly source: Readable) {
    super({ highWaterMark: 64 * 1024 });
  }
  override _read(): void {
    this.source.resume();
  }
}

/** A consumer of the client body beyond the primary (a shadow capture, for example). */
export interface BodySink {
  offer(chunk: Buffer): void;
  finish(): void;
  abort(): void;
}

/**
 * Splits `source` into a primary body stream and the given copy sinks. The source is
 * read with `data` events (no `pipeline()` on the hot path).
 *
 * @example
 * ```ts
 * const copy = new CopyBody(1 << 20, 1 << 20);
 * const primaryBody = fanOut(req, [copy]);
 * ```
 */
export function fanOut(source: Readable, sinks: BodySink[]): Readable {
  const primary = new PrimaryBody(source);
  const onData = (chunk: Buffer): void => {
    for (let i = 0; i < sinks.length; i++) sinks[i].offer(chunk);
    if (!primary.push(chunk)) source.pause();
  };
  const onEnd = (): void => {
    cleanup();
    for (const s of sinks) s.finish();
    primary.push(null);
  };
  const onAbort = (err?: Error): void => {
    cleanup();
    for (const s of sinks) s.abort();
    primary.destroy(err ?? new DoppelError('DOPPEL_ERR_CLIENT_ABORTED'));
  };
  const onClose = (): void => {
    if (!source.readableEnded) onAbort();
  };
  const cleanup = (): void => {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onAbort);
    source.off('close', onClose);
  };
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onAbort);
  source.on('close', onClose);
  primary.on('close', () => {
    // The primary request gave up on its body (upstream error): stop reading for it.
    if (!source.readableEnded) source.resume();
  });
  return primary;
}
