/**
 * A latency histogram with fixed log-spaced buckets (about 4% wide), so recording is O(1),
 * memory is constant and histograms from several runners merge by adding counts.
 */
const BUCKETS_PER_DOUBLING = 16;
const MAX_BUCKET = 64 * BUCKETS_PER_DOUBLING; // up to 2^64 ms: anything real

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(MAX_BUCKET + 1);
  #count = 0;
  #max = 0;

  /** Records one latency in ms (negative values, from clock skew, count as 0). */
  record(ms: number, times = 1): void {
    const v = ms > 0 ? ms : 0;
    const b = v < 1 ? 0 : Math.min(MAX_BUCKET, 1 + Math.floor(Math.log2(v) * BUCKETS_PER_DOUBLING));
    this.#counts[b] += times;
    this.#count += times;
    if (v > this.#max) this.#max = v;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i <= MAX_BUCKET; i++) this.#counts[i] += other.#counts[i];
    this.#count += other.#count;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  get count(): number {
    return this.#count;
  }

  /** The q-quantile (0..1), as the upper edge of its bucket (so it never understates). */
  quantile(q: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i <= MAX_BUCKET; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min(this.#max, i === 0 ? 1 : 2 ** (i / BUCKETS_PER_DOUBLING));
    }
    return this.#max;
  }

  summary(): LatencySummary {
    return { count: this.#count, p50Ms: this.quantile(0.5), p99Ms: this.quantile(0.99), maxMs: this.#count ? this.#max : null };
  }
}
