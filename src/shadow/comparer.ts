/**
 * Where the comparison queue runs `compareResponses`: in a worker thread, so that parsing
 * and diffing two JSON bodies per shadowed request (the largest cost of shadow testing
 * in the profile) leaves the proxy's event loop, or inline. The thread starts on first
 * use and stops after a few idle seconds; if it cannot start or dies, comparisons fall
 * back to running inline.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compareResponses } from '../compare/index.js';
import type { CapturedResponse, CompareResult, CompareRules } from '../compare/types.js';
import type { Logger } from '../core/logger.js';
import type { CompareReply, CompareRequest } from './compare-worker.js';

export interface Comparer {
  /** Comparisons the queue may have under way at once. */
  readonly concurrency: number;
  compare(primary: CapturedResponse, candidate: CapturedResponse, rules: CompareRules): Promise<CompareResult>;
}

/** Runs on the calling thread. */
export const inlineComparer: Comparer = { concurrency: 1, compare: compareResponses };

interface Pending {
  resolve(r: CompareResult): void;
  reject(err: Error): void;
}

/**
 * The body in an ArrayBuffer of its own, to be transferred. Cloning the Buffer itself
 * would copy the whole memory it is a view of (often a 64 KiB socket read for a 5 KB
 * body): that was 20% of the event loop's time under shadow load.
 */
function detachedBody(body: Buffer): Uint8Array {
  // Not from the shared pool, and not zero-filled first.
  const copy = Buffer.allocUnsafeSlow(body.length);
  body.copy(copy);
  return copy;
}

/**
 * The fields the thread needs, listed one by one: a capture computes its sha256 only when
 * read, and the comparison reads it only for truncated bodies (the thread computes it
 * from the body when it gets none).
 */
function forThread(r: CapturedResponse, body: Uint8Array): CapturedResponse {
  return { status: r.status, headers: r.headers, body: body as Buffer, truncated: r.truncated, size: r.size, sha256: r.truncated ? r.sha256 : '' };
}

function workerSource(): string {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return `import(${JSON.stringify(new URL('./compare-worker.js', here).href)});`;
  // Running from the sources: the thread needs the TypeScript loader the process has.
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./compare-worker.ts', here).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
}

/**
 * Compares in one worker thread.
 *
 * @example
 * ```ts
 * const comparer = new ThreadComparer(logger);
 * const result = await comparer.compare(primary, candidate, rules);
 * ```
 */
export class ThreadComparer implements Comparer {
  readonly concurrency = 8;
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly rulesIds = new WeakMap<CompareRules, number>();
  private sentRules = new Set<number>();
  private nextRulesId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Requests of this tick, posted together. */
  private outbox: CompareRequest[] = [];
  private transfer: ArrayBuffer[] = [];

  constructor(
    private readonly logger?: Logger,
    private readonly idleMs = 5_000,
  ) {}

  compare(primary: CapturedResponse, candidate: CapturedResponse, rules: CompareRules): Promise<CompareResult> {
    const w = this.broken ? null : this.start();
    if (w === null) return compareResponses(primary, candidate, rules);
    let rulesId = this.rulesIds.get(rules);
    if (rulesId === undefined) this.rulesIds.set(rules, (rulesId = this.nextRulesId++));
    const id = this.nextId++;
    const p = detachedBody(primary.body);
    const c = detachedBody(candidate.body);
    const msg: CompareRequest = { id, rulesId, primary: forThread(primary, p), candidate: forThread(candidate, c) };
    if (!this.sentRules.has(rulesId)) {
      msg.rules = rules;
      this.sentRules.add(rulesId);
    }
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.pending.size === 0) w.ref();
    return new Promise<CompareResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.outbox.length === 0) queueMicrotask(() => this.post(w));
      this.outbox.push(msg);
      this.transfer.push(p.buffer as ArrayBuffer, c.buffer as ArrayBuffer);
    }).catch(() => compareResponses(primary, candidate, rules));
  }

  private post(w: Worker): void {
    const batch = this.outbox;
    const transfer = this.transfer;
    this.outbox = [];
    this.transfer = [];
    if (this.worker !== w) {
      // The thread went away meanwhile: its pending comparisons were rejected (and run inline).
      return;
    }
    w.postMessage(batch, transfer);
  }

  private start(): Worker | null {
    if (this.worker !== null) return this.worker;
    let w: Worker;
    try {
      w = new Worker(workerSource(), { eval: true });
    } catch (err) {
      this.fail(`comparison thread did not start: ${(err as Error).message}`);
      return null;
    }
    w.on('message', (replies: CompareReply[]) => {
      for (const m of replies) {
        const p = this.pending.get(m.id);
        if (p === undefined) continue;
        this.pending.delete(m.id);
        if (m.result !== undefined) p.resolve(m.result);
        else p.reject(new Error(m.error ?? 'comparison failed'));
      }
      if (this.pending.size === 0) this.idle(w);
    });
    w.on('error', (err) => this.fail(`comparison thread failed: ${err.message}`));
    w.on('exit', () => {
      if (this.worker === w) this.lost();
    });
    this.worker = w;
    this.sentRules = new Set();
    return w;
  }

  /** With nothing pending the thread no longer keeps the process alive, and ends after a while. */
  private idle(w: Worker): void {
    w.unref();
    this.idleTimer = setTimeout(() => {
      if (this.worker === w && this.pending.size === 0) {
        this.worker = null;
        void w.terminate();
      }
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private lost(): void {
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('comparison thread exited'));
    this.pending.clear();
  }

  private fail(message: string): void {
    if (!this.broken) this.logger?.warn(message + '; comparing on the main thread from now on');
    this.broken = true;
    const w = this.worker;
    this.lost();
    void w?.terminate();
  }

  /** Stops the thread; comparisons under way finish inline. */
  async close(): Promise<void> {
    const w = this.worker;
    this.lost();
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    await w?.terminate();
  }
}

/**
 * The comparison thread, when comparisons should run in one: as asked (`inThread`), or by
 * default when this process may run on more than one CPU. `null` means on the event loop
 * (the reporter's default), which on one CPU beats waiting for a low-priority thread.
 *
 * @example
 * ```ts
 * const comparer = threadComparerFor(options.compareInThread, logger);
 * const reporter = new ShadowReporter({ aggregator, metrics, logger, comparer: comparer ?? undefined });
 * ```
 */
export function threadComparerFor(inThread: boolean | undefined, logger?: Logger): ThreadComparer | null {
  return (inThread ?? availableParallelism() > 1) ? new ThreadComparer(logger) : null;
}
