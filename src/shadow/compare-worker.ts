/**
 * Worker thread of the comparison queue: runs `compareResponses` off the proxy's event
 * loop. Messages: `{ id, rulesId, rules?, primary, candidate }` in (the rules travel once
 * per rules id), `{ id, result }` or `{ id, error }` out.
 */
import { parentPort } from 'node:worker_threads';
import { compareResponses } from '../compare/index.js';
import type { CapturedResponse, CompareRules } from '../compare/types.js';

export interface CompareRequest {
  id: number;
  rulesId: number;
  rules?: CompareRules;
  primary: CapturedResponse;
  candidate: CapturedResponse;
}

const rulesById = new Map<number, CompareRules>();

/** Structured cloning turns a Buffer into a plain Uint8Array; the comparison wants a Buffer. */
function revive(r: CapturedResponse): CapturedResponse {
  const b = r.body as Uint8Array;
  return { ...r, body: Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength) };
}

parentPort?.on('message', (m: CompareRequest) => {
  if (m.rules !== undefined) rulesById.set(m.rulesId, m.rules);
  const rules = rulesById.get(m.rulesId);
  compareResponses(revive(m.primary), revive(m.candidate), rules).then(
    (result) => parentPort!.postMessage({ id: m.id, result }),
    (err: unknown) => parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
