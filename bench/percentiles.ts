/** Latency figures of a set of samples, in the samples' unit (ms here). */
export interface LatencyStats {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * The nearest-rank q-quantile (0 < q <= 1) of samples sorted ascending: the smallest sample with
 * at least q of all samples at or below it. Exact, unlike shared/metrics' bucketed histogram,
 * which a few hundred probes do not need and whose ~4% buckets blur a figure near its target.
 */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no samples: take at least one');
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile ${q} must be in (0, 1]`);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** p50/p95/p99/max of the samples (in any order), or null when there are none. */
export function latencyStats(samples: readonly number[]): LatencyStats | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantileOfSorted(sorted, 0.5),
    p95: quantileOfSorted(sorted, 0.95),
    p99: quantileOfSorted(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}
