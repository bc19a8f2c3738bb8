import { describe, expect, it } from 'vitest';
import { BucketTotals, fitsBuckets, type RangeTotal } from '../../../shared/compute/bucket-totals.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { rankTotals, topKeys } from '../../../shared/compute/top-keys.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import type { Measure } from '../../../shared/compute/measure.ts';
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

  it('merges the object measures\' states too, and ranks by the slot of the measure, not its position, when measures take several slots', () => {
    // avg and first take two slots each and the object kinds none, so `n` (last) is not at slot 6.
    const measures: Measure[] = [
      { name: 'avg_price', op: 'avg', input: 'price' },
      { name: 'first_quantity', op: 'first', input: 'quantity' },
      { name: 'products', op: 'count_distinct', input: 'product_id' },
      { name: 'users_approx', op: 'count_distinct_hll', input: 'user_id', precision: 10 },
      { name: 'top_types', op: 'top_k', input: 'event_type', k: 2 },
      { name: 'spent', op: 'sum', input: 'price' },
      { name: 'n', op: 'count' },
    ];
    const kinds = compilePipeline(ecommerceConfig({ views: [{ name: 'by_user', description: '', key: 'user_id', window: { kind: 'tumbling', sizeMs: 5 * MIN }, measures }] }));
    const kv = kinds.view('by_user');
    for (let seed = 1; seed <= 6; seed++) {
      const panes = foldEvents(kinds, randomEvents(seed, 400, T0, 4 * HOUR));
      const totals = new BucketTotals(kv.aggregate, kinds.config.bucketMs);
      const groups = new Map<string, Pane[]>();
      for (const p of panes) groups.set(JSON.stringify([p.key, p.bucket]), [...(groups.get(JSON.stringify([p.key, p.bucket])) ?? []), p]);
      for (const [id, list] of groups) {
        const [key, bucket] = JSON.parse(id) as [string, number];
        totals.set(key, bucket, list);
      }
      const from = T0 + ((seed * 37) % 60) * MIN;
      const to = from + 2 * HOUR + 25 * MIN;
      const got = new Map<string, RangeTotal<'batch'>>();
      totals.addRange(from, to, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 'batch', (key, bucket) => panes.filter((p) => p.key === key && p.bucket === bucket), got);
      const windows = mergePanes(kv, panes.map((pane) => ({ pane, tag: 'batch' as const }))).filter((w) => w.end > from && w.start < to);
      for (const by of ['n', 'spent']) {
        const ranked = rankTotals(kv, got, by, 5);
        const want = topKeys(kv, windows, by, 5);
        // The order from the presented values (count and sum add up over windows), not from any slot.
        const sums = new Map<string, number>();
        for (const w of windows) sums.set(w.key, (sums.get(w.key) ?? 0) + (kv.aggregate.named(w.acc, w.states)[by] as number));
        const order = [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5).map(([key]) => key);
        expect(ranked.map((t) => t.key)).toEqual(order);
        expect(ranked.map((t) => t.key)).toEqual(want.map((t) => t.key));
        expect(ranked.map((t) => kv.aggregate.named(t.acc, t.states))).toEqual(want.map((t) => kv.aggregate.named(t.acc, t.states)));
      }
    }
  });
});
