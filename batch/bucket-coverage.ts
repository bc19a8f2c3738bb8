/**
 * Bucket coverage: the buckets the batch layer has computed, as ranges. A bucket inside the
 * coverage without a manifest entry had no master data when it was computed, so it is empty: quiet
 * hours (or years, between one event dated 2000 and today's data) cost nothing to publish, and
 * still carry the horizon past them.
 */

/** The buckets starting in [from, to): both are bucket boundaries (epoch ms). */
export interface BucketRange {
  readonly from: number;
  readonly to: number;
}

/** The union of ranges, sorted, with overlapping or touching ranges joined; empty ranges dropped. */
export function mergeRanges(ranges: Iterable<BucketRange>): BucketRange[] {
  const sorted = [...ranges].filter((r) => r.from < r.to).sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}

/** The ranges of single buckets: each bucket covers [bucket, bucket + bucketMs). */
export function rangesOfBuckets(buckets: Iterable<number>, bucketMs: number): BucketRange[] {
  return mergeRanges([...buckets].map((b) => ({ from: b, to: b + bucketMs })));
}

/** Whether a bucket starts inside one of the (merged) ranges. */
export function isCovered(ranges: readonly BucketRange[], bucket: number): boolean {
  return ranges.some((r) => bucket >= r.from && bucket < r.to);
}

/** Whether `range` lies wholly inside the (merged) ranges. */
export function coversRange(ranges: readonly BucketRange[], range: BucketRange): boolean {
  return range.from >= range.to || ranges.some((r) => r.from <= range.from && range.to <= r.to);
}

/**
 * The horizon the coverage gives: the end of the range that starts at the earliest covered bucket
 * (exclusive), since serving takes every bucket below it from the batch; null when nothing is covered.
 */
export function coverageHorizon(ranges: readonly BucketRange[]): number | null {
  const merged = mergeRanges(ranges);
  return merged.length === 0 ? null : merged[0].to;
}

/** The (merged) ranges cut to the buckets starting before `before` (a bucket boundary, or ±Infinity). */
export function clipRanges(ranges: readonly BucketRange[], before: number): BucketRange[] {
  return mergeRanges(ranges.map((r) => ({ from: r.from, to: Math.min(r.to, before) })));
}

/** The (merged) ranges without the given buckets (each [bucket, bucket + bucketMs)). */
export function withoutBuckets(ranges: readonly BucketRange[], buckets: Iterable<number>, bucketMs: number): BucketRange[] {
  let out = mergeRanges(ranges);
  for (const b of new Set(buckets)) {
    out = out.flatMap((r) => (b >= r.from && b < r.to ? [{ from: r.from, to: b }, { from: b + bucketMs, to: r.to }] : [r]));
  }
  return mergeRanges(out);
}
