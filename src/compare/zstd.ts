/**
 * Bounded zstd decompression. `fzstd` allocates a frame's window (or its whole declared
 * content size) before decoding, so every frame header is checked first; then the stream
 * decoder runs block by block and stops as soon as the output passes the limit.
 */
import { Decompress } from 'fzstd';

/** Largest zstd window accepted (8 MiB, what HTTP clients are expected to support, RFC 8878). */
export const MAX_ZSTD_WINDOW = 8 * 1024 * 1024;

const ZSTD_MAGIC = 0xfd2fb528;

/** Thrown (and caught in decode.ts) when the output passes the limit. */
export class OverLimitError extends Error {
  constructor(limit: number) {
    super(`decoded size over ${limit} bytes`);
    this.name = 'OverLimitError';
  }
}

/**
 * Walk the frames of a zstd stream without decoding them. Returns an error message, or
 * null when every frame can be decoded within `limit` output bytes and an acceptable
 * window. Throws {@link OverLimitError} when a frame declares more content than `limit`.
 */
function checkFrames(buf: Uint8Array, limit: number): string | null {
  let pos = 0;
  let frames = 0;
  const u32 = (at: number) => (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) return 'truncated zstd frame';
    const magic = u32(pos);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      if (pos + 8 > buf.length) return 'truncated skippable frame';
      pos += 8 + u32(pos + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) return frames === 0 ? 'not zstd data (bad magic number)' : 'garbage after zstd frame';
    frames++;
    if (pos + 5 > buf.length) return 'truncated zstd frame header';
    const fhd = buf[pos + 4];
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    const checksum = (fhd >> 2) & 1;
    if (fhd & 8) return 'invalid zstd frame header';
    const dictBytes = [0, 1, 2, 4][fhd & 3];
    const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
    let at = pos + 5;
    let window = 0;
    if (!single) {
      const wd = buf[at++];
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    at += dictBytes;
    if (at + fcsBytes > buf.length) return 'truncated zstd frame header';
    let content = -1;
    if (fcsBytes > 0) {
      content = 0;
      for (let k = fcsBytes - 1; k >= 0; k--) content = content * 256 + buf[at + k];
      if (fcsBytes === 2) content += 256;
    }
    at += fcsBytes;
    if (single) window = content;
    if (content > limit) throw new OverLimitError(limit);
    if (window > Math.max(MAX_ZSTD_WINDOW, limit)) return `zstd window of ${window} bytes is too large`;
    // blocks
    for (;;) {
      if (at + 3 > buf.length) return 'truncated zstd block';
      const bh = buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16);
      const last = bh & 1;
      const type = (bh >> 1) & 3;
      const size = bh >>> 3;
      if (type === 3) return 'reserved zstd block type';
      at += 3 + (type === 1 ? 1 : size);
      if (last) break;
    }
    at += checksum ? 4 : 0;
    if (at > buf.length) return 'truncated zstd frame';
    pos = at;
  }
  return frames === 0 ? 'no zstd frame' : null;
}

/**
 * Decompress zstd data, at most `limit` output bytes. Throws {@link OverLimitError} past
 * the limit and an Error for invalid data.
 */
export function zstdDecompress(input: Buffer, limit: number): Buffer {
  const problem = checkFrames(input, limit);
  if (problem !== null) throw new Error(problem);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > limit) throw new OverLimitError(limit);
    chunks.push(chunk);
  });
  d.push(input, true);
  return Buffer.concat(chunks, total);
}
