/**
 * Load-shedding parts of a mirror target: a token bucket for `rate` and a circuit
 * breaker that pauses a target that keeps failing.
 */

/** Monotonic milliseconds. */
export const now = (): number => performance.now();

/**
 * Token bucket allowing `rate` copies per second with a burst of `rate` (at least 1).
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(10);
 * if (!bucket.take()) countDrop('dropped_rate');
 * ```
 */
export class TokenBucket {
  private tokens: number;
  private last = now();
  private readonly capacity: number;
  constructor(private readonly rate: number) {
    this.capacity = Math.max(1, rate);
    this.tokens = this.capacity;
  }
  /** Takes one token when available. */
  take(): boolean {
    const t = now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Circuit breaker: opens after `failures` consecutive failures; after `cooldown` ms one
 * probe request is let through (half-open); its success closes the circuit, its failure
 * opens it again.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openedAt = -1;
  private probing = false;
  constructor(private readonly failures: number, private readonly cooldown: number) {}

  /** True when a request may go; in half-open state only one probe goes at a time. */
  allow(): boolean {
    if (this.openedAt < 0) return true;
    if (this.probing || now() - this.openedAt < this.cooldown) return false;
    this.probing = true;
    return true;
  }

  /** A probe that `allow()` let through was not sent after all: the next request probes. */
  release(): void {
    this.probing = false;
  }

  success(): void {
    this.consecutive = 0;
    this.openedAt = -1;
    this.probing = false;
  }

  failure(): void {
    this.consecutive++;
    if (this.probing || (this.failures > 0 && this.consecutive >= this.failures)) {
      this.openedAt = now();
      this.probing = false;
    }
  }

  /** `closed`, `open` or `half-open`. */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt < 0) return 'closed';
    return this.probing || now() - this.openedAt >= this.cooldown ? 'half-open' : 'open';
  }
}
