/**
 * Bounded capture of a response for comparison: keeps at most `max` bytes, hashes all of
 * them (sha256) and counts the full size, so bodies over the limit can still be compared
 * by length and hash.
 */
import { createHash, type Hash } from 'node:crypto';
import type { CapturedResponse } from '../compare/types.js';
import { rawToRecord } from '../core/headers.js';

/**
 * Accumulates one response.
 *
 * @example
 * ```ts
 * const cap = new ResponseCapture(1 << 20);
 * cap.start(200, ['content-type', 'application/json']);
 * cap.data(chunk);
 * const captured = cap.end();
 * ```
 */
export class ResponseCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private size = 0;
  private readonly hash: Hash = createHash('sha256');
  private status = 0;
  private headers: Record<string, string | string[]> = {};

  constructor(private readonly max: number) {}

  start(status: number, rawHeaders: ReadonlyArray<Buffer | string>): void {
    this.status = status;
    this.headers = rawToRecord(rawHeaders);
  }

  data(chunk: Buffer): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    if (this.kept < this.max) {
      const room = this.max - this.kept;
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
  }

  end(): CapturedResponse {
    return {
      status: this.status,
      headers: this.headers,
      body: this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.kept),
      truncated: this.size > this.kept,
      size: this.size,
      sha256: this.hash.digest('hex'),
    };
  }
}
