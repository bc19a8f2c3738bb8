import { describe, expect, it } from 'vitest';
import { BucketTotals, fitsBuckets, type RangeTotal } from '../../../shared/compute/bucket-totals.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { rankTotals, topKeys } from '../../../shared/compute/top-keys.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { HOUR, MIN, randomEvents, T0 } from '../../serving/support/layer-fixtures.ts';

const pipeline = compilePipeline(ecommerceConfig());
const view = pipeline.view('product_activity');
const bucketMs = pipeline.config.bucketMs;

/** Totals of every (key, bucket) of the panes, as a batch index builds them. */
function totalsOf(panes: readonly Pane[]): BucketTotals {
  const totals = new BucketTotals(view.aggregate, bucketMs);
  const groups = new Map<string, Pane[]>();
  for (const p of panes) {
    const id = JSON.stringify([p.key, p.bucket]);
    groups.set(id, [...(groups.get(id) ?? []), p]);
  }
  for (const [id, list] of groups) {
    const [key, bucket] = JSON.parse(id) as [string, number];
    totals.set(key, bucket, list);
  }
  return totals;
}

describe('BucketTotals', () => {
  it('knows which windows fit in buckets', () => {
    expect(fitsBuckets({ kind: 'tumbling', sizeMs: MIN }, HOUR)).toBe(true);
    expect(fitsBuckets({ kind: 'tumbling', sizeMs: 7 * MIN }, HOUR)).toBe(false);
    expect(fitsBuckets({ kind: 'tumbling', sizeMs: 2 * HOUR }, HOUR)).toBe(false);
    expect(fitsBuckets({ kind: 'sliding', sizeMs: 10 * MIN, slideMs: MIN }, HOUR)).toBe(false);
    expect(fitsBuckets({ kind: 'session', gapMs: MIN }, HOUR)).toBe(false);
  });

  it('gives every key the windows a merge of its panes gives, over random ranges, and so the same ranking', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const panes = foldEvents(pipeline, randomEvents(seed, 400, T0, 5 * HOUR)).filter((p) => p.view === view.name);
      const totals = totalsOf(panes);
      const from = T0 + Math.floor(((seed * 7919) % 300) * MIN);
      const to = from + (1 + (seed % 4)) * 37 * MIN;
      const got = new Map<string, RangeTotal<'batch'>>();
      totals.addRange(from, to, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 'batch', (key, bucket) => panes.filter((p) => p.key === key && p.bucket === bucket), got);
      // The brute force: every pane merged into its window, the windows overlapping the range summed per key.
      const windows = mergePanes(view, panes.map((pane) => ({ pane, tag: 'batch' as const }))).filter((w) => w.end > from && w.start < to);
      const want = topKeys(view, windows, 'views', 1_000);
      expect(rankTotals(view, got, 'views', 1_000)).toEqual(want);
      expect(rankTotals(view, got, 'purchases', 3)).toEqual(topKeys(view, windows, 'purchases', 3));
    }
  });

  it('is replaced, not adjusted, when a bucket changes, and drops buckets below a bound', () => {
    const panes = foldEvents(pipeline, randomEvents(3, 200, T0, 3 * HOUR)).filter((p) => p.view === view.name);
    const totals = totalsOf(panes);
    const changed = panes.map((p) => (p.bucket === T0 + HOUR ? { ...p, acc: view.aggregate.merge(p.acc, p.acc) } : p));
    for (const key of new Set(panes.map((p) => p.key))) totals.set(key, T0 + HOUR, changed.filter((p) => p.key === key && p.bucket === T0 + HOUR));
    expect([...totals.entries()].sort()).toEqual([...totalsOf(changed).entries()].sort());
    totals.dropBefore(T0 + 2 * HOUR);
    expect([...totals.entries()].sort()).toEqual([...totalsOf(changed.filter((p) => p.bucket >= T0 + 2 * HOUR)).entries()].sort());
  });
});
