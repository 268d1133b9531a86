/**
 * Worker thread of the comparison queue: runs `compareResponses` off the proxy's event
 * loop. Messages are batches (one wake-up of each thread per batch, not per pair): an
 * array of `{ id, rulesId, rules?, primary, candidate }` in (the rules travel once per
 * rules id), an array of `{ id, result }` or `{ id, error }` out.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { compareResponses } from '../compare/index.js';
import type { CapturedResponse, CompareResult, CompareRules } from '../compare/types.js';

export interface CompareRequest {
  id: number;
  rulesId: number;
  rules?: CompareRules;
  primary: CapturedResponse;
  candidate: CapturedResponse;
}

const rulesById = new Map<number, CompareRules>();

/**
 * Structured cloning turns a Buffer into a plain Uint8Array; the comparison wants a Buffer.
 * A body sent without its sha256 gets it computed if the comparison asks.
 */
function revive(r: CapturedResponse): CapturedResponse {
  const b = r.body as Uint8Array;
  const body = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (r.sha256 !== '') return { ...r, body };
  let sha: string | null = null;
  return {
    status: r.status,
    headers: r.headers,
    body,
    truncated: r.truncated,
    size: r.size,
    get sha256() {
      return (sha ??= createHash('sha256').update(body).digest('hex'));
    },
  };
}

export interface CompareReply {
  id: number;
  result?: CompareResult;
  error?: string;
}

parentPort?.on('message', (batch: CompareRequest[]) => {
  void Promise.all(
    batch.map((m): Promise<CompareReply> => {
      if (m.rules !== undefined) rulesById.set(m.rulesId, m.rules);
      return compareResponses(revive(m.primary), revive(m.candidate), rulesById.get(m.rulesId)).then(
        (result) => ({ id: m.id, result }),
        (err: unknown) => ({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
      );
    }),
  ).then((replies) => parentPort!.postMessage(replies));
});
