import { describe, expect, it } from 'vitest';
import { compareView } from '../../compare/compare-views.ts';
import type { TruthWindow } from '../../compare/ground-truth.ts';
import type { MergedWindow } from '../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());
const products = pipeline.view('product_activity');
const sessions = pipeline.view('user_sessions');
const MIN = 60_000;

const truthProduct = (key: string, start: number, views: number, purchases = 0, revenue = 0): TruthWindow => ({
  key,
  start,
  end: start + MIN,
  values: { views, carts: 0, purchases, revenue_cents: revenue },
});
const modeOf = (t: TruthWindow): MergedWindow => ({ key: t.key, start: t.start, end: t.end, acc: products.def.measures.map((m) => t.values[m.name] as number), tags: ['speed'] });

describe('compareView', () => {
  const truth = [truthProduct('p1', 0, 3, 1, 1999), truthProduct('p1', MIN, 1), truthProduct('p2', 0, 2, 2, 500)];

  it('finds every window exact when the mode equals the truth', () => {
    expect(compareView(products, truth.map(modeOf), truth)).toEqual({
      windows: 3,
      exact: 3,
      missing: 0,
      extra: 0,
      absError: { views: 0, carts: 0, purchases: 0, revenue_cents: 0 },
    });
  });

  it('counts missing and extra windows, and errors per additive measure in its unit', () => {
    const mode = [
      modeOf(truthProduct('p1', 0, 3, 0, 0)), // lost a purchase of 19.99
      // p1 at MIN is missing (1 view)
      modeOf(truthProduct('p2', 0, 2, 2, 500)),
      modeOf(truthProduct('p3', 0, 4)), // not in the truth
    ];
    expect(compareView(products, mode, truth)).toEqual({
      windows: 4,
      exact: 1,
      missing: 1,
      extra: 1,
      absError: { views: 5, carts: 0, purchases: 1, revenue_cents: 1999 },
    });
  });

  it('combines mode windows with the same key and start before comparing', () => {
    const half = (views: number): MergedWindow => ({ key: 'p1', start: MIN, end: 2 * MIN, acc: [views, 0, 0, 0], tags: ['batch'] });
    const result = compareView(products, [modeOf(truth[0]), half(0), half(1), modeOf(truth[2])], truth);
    expect(result.exact).toBe(3);
  });

  it('judges sessions on their end and min/max measures, but sums errors over additive measures only', () => {
    const t: TruthWindow = { key: 'u1', start: 0, end: 40 * MIN, values: { events: 3, purchases: 0, revenue_cents: 0, first_event_time: 0, last_event_time: 10 * MIN } };
    // The mode lost the last event: same start, earlier end and last_event_time.
    const lost: MergedWindow = { key: 'u1', start: 0, end: 35 * MIN, acc: [2, 0, 0, 0, 5 * MIN], tags: ['speed'] };
    expect(compareView(sessions, [lost], [t])).toEqual({
      windows: 1,
      exact: 0,
      missing: 0,
      extra: 0,
      absError: { events: 1, purchases: 0, revenue_cents: 0 },
    });
    // Same measures but a different end is not exact either.
    const wrongEnd: MergedWindow = { key: 'u1', start: 0, end: 41 * MIN, acc: [3, 0, 0, 0, 10 * MIN], tags: ['speed'] };
    expect(compareView(sessions, [wrongEnd], [t]).exact).toBe(0);
  });

  it('matches a session that lost its first event to the truth\'s, as one window off by one event', () => {
    const t: TruthWindow = { key: 'u1', start: 0, end: 40 * MIN, values: { events: 3, purchases: 1, revenue_cents: 500, first_event_time: 0, last_event_time: 10 * MIN } };
    const lostFirst: MergedWindow = { key: 'u1', start: 4 * MIN, end: 40 * MIN, acc: [2, 1, 500, 4 * MIN, 10 * MIN], tags: ['speed'] };
    expect(compareView(sessions, [lostFirst], [t])).toEqual({ windows: 1, exact: 0, missing: 0, extra: 0, absError: { events: 1, purchases: 0, revenue_cents: 0 } });
  });

  it('counts a session split in two by a lost event as one matched and one extra, and other keys separately', () => {
    const t: TruthWindow = { key: 'u1', start: 0, end: 70 * MIN, values: { events: 3, purchases: 0, revenue_cents: 0, first_event_time: 0, last_event_time: 40 * MIN } };
    const other: TruthWindow = { key: 'u2', start: 0, end: 30 * MIN, values: { events: 1, purchases: 0, revenue_cents: 0, first_event_time: 0, last_event_time: 0 } };
    const mode: MergedWindow[] = [
      { key: 'u1', start: 0, end: 30 * MIN, acc: [1, 0, 0, 0, 0], tags: ['speed'] },
      { key: 'u1', start: 40 * MIN, end: 70 * MIN, acc: [1, 0, 0, 40 * MIN, 40 * MIN], tags: ['speed'] },
      { key: 'u2', start: 0, end: 30 * MIN, acc: [1, 0, 0, 0, 0], tags: ['speed'] },
    ];
    expect(compareView(sessions, mode, [t, other])).toEqual({ windows: 3, exact: 1, missing: 0, extra: 1, absError: { events: 3, purchases: 0, revenue_cents: 0 } });
  });
});
