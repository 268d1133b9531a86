/**
 * The IPC protocol between the cluster primary and its workers. Every message carries a
 * `doppel:` type so that other users of the channel (prom-client, node:cluster itself)
 * are left alone.
 */

/** What the primary can ask a worker for. */
export type QueryKind = 'metrics' | 'endpoints' | 'targets';

/** Primary to worker. */
export type ToWorker =
  | { type: 'doppel:reload' }
  | { type: 'doppel:shutdown' }
  | { type: 'doppel:query'; id: number; what: QueryKind };

/** Worker to primary. */
export type ToPrimary =
  | { type: 'doppel:ready'; port: number }
  | { type: 'doppel:reloaded'; ok: boolean }
  | { type: 'doppel:reply'; id: number; data?: unknown; error?: string };

/** Environment variable that marks a process forked as a doppel worker. */
export const WORKER_ENV = 'DOPPEL_WORKER';

export function isDoppelMessage(m: unknown): m is { type: string } {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('doppel:');
}
