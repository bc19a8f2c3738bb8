import { BadRequestError } from '../shared/errors.ts';
import { bucketOf } from '../shared/time/bucket.ts';

/**
 * Which buckets a batch run computes: every bucket from the first with master data to the last
 * (`'all'`), the buckets overlapping a time range, or a list of bucket starts.
 */
export type BucketSelection = 'all' | { readonly from: number; readonly to: number } | readonly number[];

/** Most buckets one run may compute (ten years of hours): a guard against a range in the wrong unit. */
const MAX_BUCKETS = 90_000;

/**
 * The sorted bucket starts a selection names, given the buckets that have master data. Never a
 * bucket before the first one with data (none at all without data): those are empty and would
 * pin the horizon to the past.
 * Buckets without data after it are included (published empty), so quiet hours do not stop the horizon.
 */
export function selectBuckets(selection: BucketSelection, withData: readonly number[], bucketMs: number): number[] {
  if (withData.length === 0) return [];
  const first = withData.reduce((a, b) => Math.min(a, b));
  let out: number[];
  if (selection === 'all') {
    out = range(first, withData.reduce((a, b) => Math.max(a, b)) + bucketMs, bucketMs);
  } else if (Array.isArray(selection)) {
    for (const b of selection) {
      if (!Number.isSafeInteger(b) || bucketOf(b, bucketMs) !== b) throw new BadRequestError('buckets', `${b} is not a bucket start (a multiple of ${bucketMs} ms)`);
    }
    out = [...new Set(selection)].sort((a, b) => a - b);
  } else {
    const { from, to } = selection as { from: number; to: number };
    if (!Number.isFinite(to) || Number.isNaN(from) || from >= to) throw new BadRequestError('buckets', `range [${from}, ${to}) must have from < to and a finite to (epoch ms)`);
    out = range(Math.max(bucketOf(from, bucketMs), first), to, bucketMs);
  }
  return out.filter((b) => b >= first);
}

function range(from: number, to: number, step: number): number[] {
  if ((to - from) / step > MAX_BUCKETS) throw new BadRequestError('buckets', `more than ${MAX_BUCKETS} buckets of ${step} ms from ${new Date(from).toISOString()}: narrow the range`);
  const out: number[] = [];
  for (let b = from; b < to; b += step) out.push(b);
  return out;
}
