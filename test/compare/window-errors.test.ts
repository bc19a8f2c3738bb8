import { describe, expect, it } from 'vitest';
import type { TruthWindow } from '../../compare/ground-truth.ts';
import { windowErrors } from '../../compare/window-errors.ts';
import type { MergedWindow } from '../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const products = compilePipeline(ecommerceConfig()).view('product_activity');
const MIN = 60_000;
const truthProduct = (key: string, start: number, views: number, purchases = 0, revenue = 0): TruthWindow => ({
  key,
  start,
  end: start + MIN,
  values: { views, carts: 0, purchases, revenue_cents: revenue },
});
const modeOf = (t: TruthWindow): MergedWindow => ({ key: t.key, start: t.start, end: t.end, acc: products.def.measures.map((m) => t.values[m.name]), tags: ['speed'] });

describe('windowErrors', () => {
  it('sums each additive measure’s error over keys per window start, per mode; missing and extra windows count against 0', () => {
    const truth = [truthProduct('p1', 0, 3, 1, 1999), truthProduct('p2', 0, 2), truthProduct('p1', MIN, 1), truthProduct('p1', 2 * MIN, 5)];
    const speed = [
      modeOf(truthProduct('p1', 0, 2, 0, 0)), // one view and a purchase of 19.99 short
      modeOf(truthProduct('p2', 0, 1)), // one view short
      // p1 at MIN is missing (1 view)
      modeOf(truthProduct('p1', 2 * MIN, 5)),
      modeOf(truthProduct('p9', 3 * MIN, 4)), // not in the truth
    ];
    const e = windowErrors(products, { speed, lambda: truth.map(modeOf) }, truth);
    expect(e.starts).toEqual([0, MIN, 2 * MIN, 3 * MIN]);
    expect(e.ends).toEqual([MIN, 2 * MIN, 3 * MIN, 4 * MIN]);
    expect(e.measures).toEqual(['views', 'carts', 'purchases', 'revenue_cents']);
    expect(e.counts).toEqual(['views', 'carts', 'purchases']);
    expect(e.modes.speed).toEqual({ views: [2, 1, 0, 4], carts: [0, 0, 0, 0], purchases: [1, 0, 0, 0], revenue_cents: [1999, 0, 0, 0] });
    expect(e.modes.lambda!.views).toEqual([0, 0, 0, 0]);
    expect(e.modes.kappa).toBeUndefined();
  });
});
