/**
 * A bounded, mergeable streaming quantile sketch for latencies in milliseconds.
 *
 * Values fall into logarithmic buckets `(γ^(i-1), γ^i]` with `γ = (1+α)/(1-α)`; a
 * bucket's estimate `2γ^i/(γ+1)` is within relative error α (2 % by default) of every
 * value in it. Values below 0.1 ms count in a zero bucket (reported as the exact minimum,
 * so within 0.1 ms); values above one hour count in the top bucket (reported as one hour),
 * so a sketch holds at most ~440 counters whatever it sees. Quantiles 0 and 1 are the
 * exact min and max. Two sketches with the same α merge exactly by adding counters.
 */

/** Summary statistics of a sketch; quantiles and mean are `null` while it is empty. */
export interface LatencySummary {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  count: number;
  mean: number | null;
}

/** The JSON form of a {@link LatencySketch}: bucket counters from `offset` upwards. */
export interface LatencySketchJSON {
  v: 1;
  alpha: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  zero: number;
  offset: number;
  counts: number[];
}

/** Smallest value (ms) given its own bucket; smaller values count in the zero bucket. */
export const SKETCH_MIN_VALUE = 0.1;
/** Largest value (ms) given its own bucket; larger values count in the top bucket. */
export const SKETCH_MAX_VALUE = 3_600_000;

/** Rounds to 0.001 (microseconds for milliseconds). */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * A log-bucket quantile sketch (DDSketch-like) with relative accuracy `alpha`.
 *
 * @example
 * ```ts
 * const s = new LatencySketch();
 * for (const ms of [12, 15, 11, 250]) s.add(ms);
 * s.quantile(0.5);  // ≈ 12 (within 2 %)
 * s.summary();      // { p50, p90, p99, count: 4, mean: 72 }
 * const copy = LatencySketch.fromJSON(JSON.parse(JSON.stringify(s)));
 * ```
 */
export class LatencySketch {
  readonly alpha: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private counts: number[] = [];
  private offset = 0;
  private zero = 0;
  private n = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(alpha = 0.02) {
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`sketch accuracy must be in (0, 1), got ${alpha}`);
    this.alpha = alpha;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  /** Number of values added. */
  get count(): number {
    return this.n;
  }

  /** Arithmetic mean of the values added (exact), or `null` when empty. */
  get mean(): number | null {
    return this.n > 0 ? this.sum / this.n : null;
  }

  /** Smallest value added (exact), or `null` when empty. */
  get min(): number | null {
    return this.n > 0 ? this.lo : null;
  }

  /** Largest value added (exact), or `null` when empty. */
  get max(): number | null {
    return this.n > 0 ? this.hi : null;
  }

  /**
   * Adds a value in ms, `times` times. Negative, infinite and NaN values are ignored.
   *
   * @example
   * ```ts
   * sketch.add(12.5);
   * ```
   */
  add(value: number, times = 1): void {
    if (!Number.isFinite(value) || value < 0 || !(times > 0)) return;
    this.n += times;
    this.sum += value * times;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
    if (value < SKETCH_MIN_VALUE) {
      this.zero += times;
      return;
    }
    this.bump(this.index(Math.min(value, SKETCH_MAX_VALUE)), times);
  }

  /**
   * Adds all values of another sketch with the same accuracy.
   *
   * @example
   * ```ts
   * workerA.merge(workerB); // workerA now describes both
   * ```
   */
  merge(other: LatencySketch): this {
    if (other.alpha !== this.alpha) throw new RangeError(`cannot merge sketches of accuracy ${other.alpha} and ${this.alpha}`);
    if (other.n === 0) return this;
    other.counts.forEach((c, i) => {
      if (c > 0) this.bump(other.offset + i, c);
    });
    this.zero += other.zero;
    this.n += other.n;
    this.sum += other.sum;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
    return this;
  }

  /**
   * The value at quantile `q` (0..1), within relative error `alpha`, clamped to the exact
   * min and max; `null` when empty.
   *
   * @example
   * ```ts
   * sketch.quantile(0.99);
   * ```
   */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    if (q <= 0) return this.lo;
    if (q >= 1) return this.hi;
    const rank = q * (this.n - 1);
    let seen = this.zero;
    if (seen > rank) return this.lo;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen > rank) {
        const estimate = (2 * Math.pow(this.gamma, this.offset + i)) / (this.gamma + 1);
        return Math.min(this.hi, Math.max(this.lo, estimate));
      }
    }
    return this.hi;
  }

  /**
   * p50, p90, p99 (rounded to 0.001 ms), count and mean.
   *
   * @example
   * ```ts
   * const { p99, count } = sketch.summary();
   * ```
   */
  summary(): LatencySummary {
    const r = (x: number | null): number | null => (x === null ? null : round3(x));
    return { p50: r(this.quantile(0.5)), p90: r(this.quantile(0.9)), p99: r(this.quantile(0.99)), count: this.n, mean: r(this.mean) };
  }

  /** A copy that shares nothing with this sketch. */
  clone(): LatencySketch {
    return LatencySketch.fromJSON(this.toJSON());
  }

  /**
   * The JSON form (also used by `JSON.stringify`).
   *
   * @example
   * ```ts
   * store.put(key, JSON.stringify(sketch.toJSON()));
   * ```
   */
  toJSON(): LatencySketchJSON {
    return {
      v: 1,
      alpha: this.alpha,
      count: this.n,
      sum: this.sum,
      min: this.n > 0 ? this.lo : 0,
      max: this.n > 0 ? this.hi : 0,
      zero: this.zero,
      offset: this.offset,
      counts: this.counts.slice(),
    };
  }

  /**
   * Rebuilds a sketch from its JSON form; throws a `TypeError` when the input is malformed.
   *
   * @example
   * ```ts
   * const s = LatencySketch.fromJSON(JSON.parse(text));
   * ```
   */
  static fromJSON(json: LatencySketchJSON): LatencySketch {
    const ok =
      json !== null && typeof json === 'object' && json.v === 1 && Array.isArray(json.counts) &&
      [json.alpha, json.count, json.sum, json.min, json.max, json.zero, json.offset].every((x) => typeof x === 'number' && Number.isFinite(x)) &&
      Number.isInteger(json.offset) && json.counts.length <= 4096 &&
      json.counts.every((c) => typeof c === 'number' && c >= 0) &&
      json.zero + json.counts.reduce((a, b) => a + b, 0) === json.count;
    if (!ok) throw new TypeError('invalid latency sketch JSON');
    const s = new LatencySketch(json.alpha);
    s.counts = json.counts.slice();
    s.offset = json.offset;
    s.zero = json.zero;
    s.n = json.count;
    s.sum = json.sum;
    if (json.count > 0) {
      s.lo = json.min;
      s.hi = json.max;
    }
    return s;
  }

  private index(value: number): number {
    return Math.ceil(Math.log(value) / this.logGamma);
  }

  private bump(index: number, times: number): void {
    if (this.counts.length === 0) {
      this.offset = index;
      this.counts.push(0);
    } else if (index < this.offset) {
      const grow = this.offset - index;
      this.counts = new Array<number>(grow).fill(0).concat(this.counts);
      this.offset = index;
    } else if (index >= this.offset + this.counts.length) {
      const grow = index - (this.offset + this.counts.length) + 1;
      for (let i = 0; i < grow; i++) this.counts.push(0);
    }
    this.counts[index - this.offset] += times;
  }
}
