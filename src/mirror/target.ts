/**
 * A mirror target at run time: admission (method, sampling, circuit, rate, in-flight,
 * size), the fire-and-forget copy itself, draining of its response so the connection is
 * reused, and the outcome reported to metrics and hooks.
 */
import type { MirrorTargetSpec } from '../config/types.js';
import { DoppelError, type ErrorCode } from '../core/errors.js';
import type { MirrorOutcome, TargetMetrics } from '../report/metrics.js';
import { CopyBody } from './body.js';
import { CircuitBreaker, TokenBucket } from './limits.js';
import { DetachedRequest, type DetachedOutcome } from './detached.js';
import { DeadlineList } from './deadlines.js';
import { createSampler, type SampleInput, type Sampler } from './sampler.js';
import { compileCopy, type CopyBuilder, type CopySource } from './copy.js';
import { WholeBody, type CopyDispatcher } from './copy-client.js';

/** What `onSuccess` receives about a mirror's answer. */
export interface MirrorResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Milliseconds until response headers and until the end of the response. */
  ttfb: number;
  duration: number;
}

/** Hooks a library caller may set; they never affect the client's response. */
export interface MirrorHooks {
  onError?(target: string, err: DoppelError): void;
  onSuccess?(target: string, response: MirrorResponse): void;
}

/** Largest number of unsent body bytes a copy may lag behind the primary. */
const MAX_LAG = 4 * 1024 * 1024;

const OUTCOME_BY_CODE: Partial<Record<ErrorCode, MirrorOutcome>> = {
  DOPPEL_ERR_MIRROR_TIMEOUT: 'timeout',
  DOPPEL_ERR_MIRROR_INFLIGHT: 'dropped_inflight',
  DOPPEL_ERR_MIRROR_BODY_SIZE: 'dropped_body_size',
  DOPPEL_ERR_MIRROR_RATE: 'dropped_rate',
  DOPPEL_ERR_MIRROR_CIRCUIT_OPEN: 'circuit_open',
  DOPPEL_ERR_MIRROR_SLOW: 'dropped_slow',
  DOPPEL_ERR_MIRROR_SOURCE_ABORTED: 'aborted',
};

export { toMirrorError } from './detached.js';

/** Result of admission: a body sink to feed (or null for bodiless copies), or a drop. */
export type Admission = { go: true; body: CopyBody | null } | { go: false; code?: ErrorCode };

/**
 * One mirror target. Created once per (route, target) and kept across hot reloads while
 * its spec is unchanged, so in-flight counts and the circuit survive a reload.
 */
export class MirrorTarget {
  readonly name: string;
  private readonly sampler: Sampler;
  private readonly methods: Set<string> | null;
  private readonly bucket: TokenBucket | null;
  private readonly build: CopyBuilder;
  readonly breaker: CircuitBreaker;
  /** @internal Read by the copies in flight. */
  readonly timeoutMessage: string;
  /** @internal */
  readonly deadlines: DeadlineList;
  inflight = 0;

  constructor(
    readonly spec: MirrorTargetSpec,
    private readonly dispatcher: CopyDispatcher,
    private readonly metrics: TargetMetrics,
    private readonly hooks: MirrorHooks = {},
  ) {
    this.name = spec.name;
    this.sampler = createSampler(spec.sample);
    this.methods = spec.methods ? new Set(spec.methods) : null;
    this.bucket = spec.rate !== undefined && spec.rate > 0 ? new TokenBucket(spec.rate) : null;
    this.breaker = new CircuitBreaker(spec.breaker.failures, spec.breaker.cooldown);
    this.build = compileCopy(spec);
    this.timeoutMessage = `mirror ${spec.name} did not answer within ${spec.timeout} ms`;
    this.deadlines = DeadlineList.for(spec.timeout);
  }

  /**
   * Decides whether this request is copied. Sampled-out requests are not counted. With
   * `whole` the body will be handed over as one buffer, so no body stream is made.
   */
  admit(method: string, sample: SampleInput, bodyLength: number, whole = false): Admission {
    if (this.methods !== null && !this.methods.has(method)) return { go: false };
    if (!this.sampler(sample)) return { go: false };
    let code: ErrorCode | undefined;
    if (this.spec.copyBody && bodyLength > this.spec.maxBodySize) code = 'DOPPEL_ERR_MIRROR_BODY_SIZE';
    else if (this.inflight >= this.spec.maxInFlight) code = 'DOPPEL_ERR_MIRROR_INFLIGHT';
    else if (!this.breaker.allow()) code = 'DOPPEL_ERR_MIRROR_CIRCUIT_OPEN';
    else if (this.bucket !== null && !this.bucket.take()) {
      code = 'DOPPEL_ERR_MIRROR_RATE';
      this.breaker.release();
    }
    if (code !== undefined) {
      this.drop(code);
      return { go: false, code };
    }
    const hasBody = bodyLength !== 0 && this.spec.copyBody && !whole;
    return { go: true, body: hasBody ? new CopyBody(this.spec.maxBodySize, Math.min(MAX_LAG, this.spec.maxBodySize)) : null };
  }

  /**
   * Sends an admitted copy. `body` is the streamed copy body from {@link admit}, or a
   * whole body already in memory. Resolves when it has finished either way; never rejects.
   */
  send(source: CopySource, body: CopyBody | Buffer | null): Promise<void> {
    return new Promise<void>((resolve) => this.fire(source, body, resolve));
  }

  /** Like {@link send}, without a promise (the request path does not wait for copies). */
  fire(source: CopySource, body: CopyBody | Buffer | null, done?: () => void): void {
    const opts = this.build(source, body instanceof Buffer && body.length > 0 ? new WholeBody(body) : body);
    this.inflight++;
    this.metrics.inflight(1);
    // Only a body stream needs the copy (to be destroyed at the end); a whole body is not kept.
    new MirrorCopy(this, body instanceof CopyBody ? body : null, done).dispatch(this.dispatcher, opts);
  }

  /** @internal How a copy ended: in-flight count, circuit, metrics and hooks. */
  settle(o: DetachedOutcome, body: CopyBody | null, done: (() => void) | undefined): void {
    this.inflight--;
    this.metrics.inflight(-1);
    if (body !== null && !body.destroyed) body.destroy();
    if (o.error !== null) this.fail(o.error, true);
    else {
      this.breaker.success();
      this.metrics.outcome('ok');
      this.metrics.ttfb(o.ttfb);
      this.metrics.total(o.total);
      if (this.hooks.onSuccess) {
        try {
          this.hooks.onSuccess(this.name, { status: o.status, headers: o.headers, ttfb: o.ttfb, duration: o.total });
        } catch {
          // A hook's failure must not reach the request path.
        }
      }
    }
    done?.();
  }

  /** An admitted copy that is not sent (its client went away before its body arrived). */
  abandon(): void {
    this.breaker.release();
    this.drop('DOPPEL_ERR_MIRROR_SOURCE_ABORTED');
  }

  /**
   * Counts a copy dropped at admission. Under overload (a slow target at its in-flight
   * limit) most requests end here, so the error object (and its stack trace) is only made
   * for an `onError` hook.
   */
  private drop(code: ErrorCode): void {
    if (this.hooks.onError) return this.fail(new DoppelError(code));
    this.metrics.outcome(OUTCOME_BY_CODE[code] ?? 'error');
  }

  private fail(err: DoppelError, sent = false): void {
    const outcome = OUTCOME_BY_CODE[err.code] ?? 'error';
    if (outcome === 'error' || outcome === 'timeout') this.breaker.failure();
    // A copy cut off on this side (source aborted, too slow, too large) says nothing of the
    // target; if it was the half-open probe, the next copy probes instead.
    else if (sent) this.breaker.release();
    this.metrics.outcome(outcome);
    if (this.hooks.onError) {
      try {
        this.hooks.onError(this.name, err);
      } catch {
        // A hook's failure must not reach the request path.
      }
    }
  }
}

/** One copy in flight: the request, its target, its body stream and who waits for it. */
class MirrorCopy extends DetachedRequest {
  constructor(
    private readonly target: MirrorTarget,
    private readonly body: CopyBody | null,
    private readonly done: (() => void) | undefined,
  ) {
    super(target.deadlines, target.timeoutMessage);
  }

  protected settled(outcome: DetachedOutcome): void {
    this.target.settle(outcome, this.body, this.done);
  }
}
