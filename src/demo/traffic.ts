/**
 * Sample traffic for the demo: a mix of reads and writes, sent with a few concurrent
 * connections, with a progress line.
 */
import { Agent, request } from 'undici';

export interface TrafficSummary {
  sent: number;
  byStatus: Record<string, number>;
  failed: number;
  ms: number;
}

function pick(i: number): { method: 'GET' | 'POST'; path: string; body?: string } {
  if (i % 10 === 9) return { method: 'POST', path: '/api/orders', body: JSON.stringify({ sku: `sku-${i % 7}`, qty: (i % 3) + 1 }) };
  if (i % 10 === 4) return { method: 'GET', path: '/api/users?limit=5' };
  return { method: 'GET', path: `/api/users/${(i % 40) + 1}` };
}

/** Sends `count` requests to `base` with `concurrency` connections, reporting progress. */
export async function sendTraffic(base: string, count: number, progress: (done: number, total: number) => void, concurrency = 8): Promise<TrafficSummary> {
  const agent = new Agent({ connections: concurrency });
  const byStatus: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let failed = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const r = pick(i);
      try {
        const res = await request(new URL(r.path, base), { method: r.method, body: r.body, headers: r.body ? { 'content-type': 'application/json' } : {}, dispatcher: agent });
        await res.body.dump();
        byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
      } catch {
        failed++;
      }
      done++;
      progress(done, count);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await agent.close();
  return { sent: count, byStatus, failed, ms: Date.now() - started };
}
