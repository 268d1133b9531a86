/**
 * Worker thread of the comparison queue: runs `compareResponses` off the proxy's event
 * loop. Messages are batches (one wake-up of each thread per batch, not per pair): an
 * array of `{ id, rulesId, rules?, primary, candidate }` in (the rules travel once per
 * rules id), an array of `{ id, result }` or `{ id, error }` out.
 *
 * The thread runs at the lowest CPU priority it can set: on a busy CPU the kernel gives
 * the proxy's thread the time first, so comparisons use what proxying leaves; when they
 * fall behind, the bounded queue in front of them fills and new requests go unshadowed.
 */
import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
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
 * Lowers this thread's scheduling priority to the lowest (nice 19). Linux keeps a nice
 * value per thread and `setpriority` on a thread id changes only that thread;
 * `/proc/thread-self` names this thread's id. Elsewhere (no such file) nothing changes.
 * Returns whether the priority was lowered.
 */
export function lowerThreadPriority(): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, constants.priority.PRIORITY_LOW);
    return true;
  } catch {
    return false;
  }
}

if (parentPort) lowerThreadPriority();

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
