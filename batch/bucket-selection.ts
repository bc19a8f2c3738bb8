import { BadRequestError } from '../shared/errors.ts';
import { bucketOf } from '../shared/time/bucket.ts';
import { mergeRanges, rangesOfBuckets, type BucketRange } from './bucket-coverage.ts';

/**
 * Which buckets a batch run covers: every bucket from the first with master data to the last
 * (`'all'`), the buckets overlapping a time range, a list of bucket starts, or a range to cover of
 * which only the listed buckets are computed (the hourly cycle's stale buckets).
 */
export type BucketSelection =
  | 'all'
  | { readonly from: number; readonly to: number }
  | readonly number[]
  | { readonly cover: BucketRange; readonly compute: readonly number[] };

/** What a run does: the buckets it computes, and the ranges it publishes as computed. */
export interface BucketPlan {
  /** Buckets to compute from their master files, sorted: only buckets with data. */
  readonly compute: readonly number[];
  /**
   * Ranges published as covered (merged): a bucket in them without master data is empty and needs
   * no work, so the cost of a run follows the buckets with data, not the span of time.
   */
  readonly cover: readonly BucketRange[];
}

/** Latest time a range may name: a range in microseconds or nanoseconds is a mistake, not a plan. */
const MAX_TIME = Date.UTC(9999, 11, 31);

/**
 * The plan a selection names, given the buckets that have master data. Never a bucket before the
 * first one with data (nothing at all without data): those are empty and would pin the horizon
 * to the past.
 */
export function planBuckets(selection: BucketSelection, withData: readonly number[], bucketMs: number): BucketPlan {
  if (withData.length === 0) return { compute: [], cover: [] };
  const data = [...withData].sort((a, b) => a - b);
  const first = data[0];
  if (selection === 'all') return planRange({ from: first, to: data[data.length - 1] + bucketMs }, data);
  if (Array.isArray(selection)) {
    for (const b of selection) checkBucketStart(b, bucketMs);
    const listed = [...new Set(selection as readonly number[])].filter((b) => b >= first).sort((a, b) => a - b);
    const hasData = new Set(data);
    return { compute: listed.filter((b) => hasData.has(b)), cover: rangesOfBuckets(listed, bucketMs) };
  }
  if ('cover' in selection) {
    const { cover, compute } = selection;
    checkBucketStart(cover.from, bucketMs);
    checkBucketStart(cover.to, bucketMs);
    for (const b of compute) checkBucketStart(b, bucketMs);
    const hasData = new Set(data);
    const from = Math.max(cover.from, first);
    return {
      compute: [...new Set(compute)].filter((b) => b >= from && b < cover.to && hasData.has(b)).sort((a, b) => a - b),
      cover: mergeRanges([{ from, to: cover.to }]),
    };
  }
  const { from, to } = selection as { readonly from: number; readonly to: number };
  // to = +Infinity is an open end (`lk batch --from` alone): up to the last bucket with data.
  if (Number.isNaN(to) || Number.isNaN(from) || from >= to) throw new BadRequestError('buckets', `range [${from}, ${to}) must have from < to (epoch ms)`);
  if (to !== Number.POSITIVE_INFINITY && to > MAX_TIME) throw new BadRequestError('buckets', `range end ${to} is after ${new Date(MAX_TIME).toISOString()}: give epoch milliseconds`);
  const end = to === Number.POSITIVE_INFINITY ? data[data.length - 1] + bucketMs : bucketOf(Math.ceil(to) - 1, bucketMs) + bucketMs;
  // The buckets overlapping [from, to): from the one holding `from` to the one holding the last instant before `to`.
  return planRange({ from: Math.max(bucketOf(from, bucketMs), first), to: end }, data);
}

function planRange(range: BucketRange, data: readonly number[]): BucketPlan {
  if (range.from >= range.to) return { compute: [], cover: [] };
  return { compute: data.filter((b) => b >= range.from && b < range.to), cover: [range] };
}

function checkBucketStart(b: number, bucketMs: number): void {
  if (!Number.isSafeInteger(b) || bucketOf(b, bucketMs) !== b) throw new BadRequestError('buckets', `${b} is not a bucket start (a multiple of ${bucketMs} ms)`);
}
