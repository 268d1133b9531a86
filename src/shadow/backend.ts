/**
 * Sending a shadowed request to a candidate or secondary and capturing its answer. Runs
 * detached from the client's exchange, with its own timeout; never rejects.
 */
import type { CopyDispatcher } from '../mirror/copy-client.js';
import type { CapturedResponse } from '../compare/types.js';
import type { DoppelError } from '../core/errors.js';
import type { CopyBuilder, CopySource } from '../mirror/copy.js';
import { dispatchDetached } from '../mirror/detached.js';
import { ResponseCapture } from './capture.js';

/** What a shadow backend returned. */
export type BackendResult =
  | { ok: true; response: CapturedResponse; ttfb: number; total: number }
  | { ok: false; error: DoppelError; ttfb: number; total: number };

/**
 * Sends one request and captures at most `maxCompareSize` bytes of the answer.
 *
 * @example
 * ```ts
 * const result = await sendAndCapture(pool, build, source, null, 5000, 1 << 20);
 * ```
 */
export async function sendAndCapture(
  dispatcher: CopyDispatcher,
  build: CopyBuilder,
  source: CopySource,
  body: NodeJS.ReadableStream | null,
  timeout: number,
  maxCompareSize: number,
): Promise<BackendResult> {
  const capture = new ResponseCapture(maxCompareSize);
  const o = await dispatchDetached(dispatcher, build(source, body), timeout, `shadow backend did not answer within ${timeout} ms`, capture);
  if (o.error !== null) return { ok: false, error: o.error, ttfb: o.ttfb, total: o.total };
  return { ok: true, response: capture.end(), ttfb: o.ttfb, total: o.total };
}
