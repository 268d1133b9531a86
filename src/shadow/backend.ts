/**
 * Sending a shadowed request to a candidate or secondary and capturing its answer. Runs
 * detached from the client's exchange, with its own timeout; never rejects.
 */
import type { Dispatcher } from 'undici';
import type { CapturedResponse } from '../compare/types.js';
import { DoppelError } from '../core/errors.js';
import { now } from '../mirror/limits.js';
import type { CopyBuilder, CopySource } from '../mirror/copy.js';
import { toMirrorError } from '../mirror/target.js';
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
export function sendAndCapture(
  dispatcher: Dispatcher,
  build: CopyBuilder,
  source: CopySource,
  body: NodeJS.ReadableStream | null,
  timeout: number,
  maxCompareSize: number,
): Promise<BackendResult> {
  const started = now();
  const capture = new ResponseCapture(maxCompareSize);
  return new Promise<BackendResult>((resolve) => {
    let controller: Dispatcher.DispatchController | null = null;
    let failed: DoppelError | null = null;
    let ttfb = 0;
    let done = false;
    const finish = (err: DoppelError | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const total = now() - started;
      if (err === null) resolve({ ok: true, response: capture.end(), ttfb, total });
      else resolve({ ok: false, error: err, ttfb, total });
    };
    const timer = setTimeout(() => {
      failed = new DoppelError('DOPPEL_ERR_MIRROR_TIMEOUT', `shadow backend did not answer within ${timeout} ms`);
      if (controller !== null) controller.abort(failed);
      else finish(failed);
    }, timeout);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (c) => {
        controller = c;
        if (failed !== null) c.abort(failed);
      },
      onResponseStart: (c, status) => {
        if (status < 200) return;
        ttfb = now() - started;
        capture.start(status, (c.rawHeaders as Buffer[] | null) ?? []);
      },
      onResponseData: (_c, chunk) => capture.data(chunk),
      onResponseEnd: () => finish(null),
      onResponseError: (_c, err) => finish(failed ?? toMirrorError(err)),
    };
    try {
      dispatcher.dispatch(build(source, body), handler);
    } catch (err) {
      finish(toMirrorError(err));
    }
  });
}
