import { describe, expect, it } from 'vitest';
import { compileAggregate, type Accumulator, type Aggregate } from '../../../shared/compute/aggregate.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import type { Measure } from '../../../shared/compute/measure.ts';
import { Random } from '../../../workload/random.ts';
import { randomEvent } from '../../support/random-events.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { foldByDefinition, measure, measureCases } from '../support/measure-cases.ts';

const T = Date.UTC(2026, 0, 1, 10);
const everyOp = ([
  { name: 'n', op: 'count' },
  { name: 'purchases', op: 'count', filter: "event_type = 'purchase'" },
  { name: 'revenue', op: 'sum', input: 'price * quantity', filter: "event_type = 'purchase'" },
  { name: 'qty', op: 'sum', input: 'quantity' },
  { name: 'first', op: 'min', input: 'event_time' },
  { name: 'last', op: 'max', input: 'event_time' },
  { name: 'cheapest_cart', op: 'min', input: 'price * quantity', filter: "event_type = 'add_to_cart'" },
] as Measure[]).map(measure);
const aggregates: [string, Aggregate][] = [
  ['every op', compileAggregate(everyOp)],
  ...compilePipeline(ecommerceConfig()).views.map((v): [string, Aggregate] => [v.name, v.aggregate]),
];

/** The accumulator of a random set of events (sometimes none, so identities occur too). */
function randomAcc(agg: Aggregate, rng: Random): Accumulator {
  const acc = agg.empty();
  const n = rng.chance(0.2) ? 0 : rng.int(1, 6);
  for (let i = 0; i < n; i++) agg.add(acc, randomEvent(rng, `e${i}`, T + rng.int(-1e9, 1e9)));
  return acc;
}

/** Every op over a spread of inputs and filters. */
const expressible = measureCases();

describe('compileAggregate', () => {
  it('folds every expressible measure exactly as the definition says (the tree-walking interpreter of the truth)', () => {
    // `add` is generated code for speed; the definition is what batch SQL, the truth and docs follow.
    const agg = compileAggregate(expressible);
    const rng = new Random(4);
    for (let i = 0; i < 300; i++) {
      const events = Array.from({ length: rng.int(0, 20) }, (_, j) => randomEvent(rng, `e${j}`, T + rng.int(-1e9, 1e9)));
      const acc = agg.empty();
      for (const e of events) agg.add(acc, e);
      const expected = expressible.map((m) => foldByDefinition(m, events));
      expect(acc).toEqual(expected);
    }
  });

  it('starts from each measure identity', () => {
    expect(compileAggregate(everyOp).empty()).toEqual([0, 0, 0, 0, Infinity, -Infinity, Infinity]);
  });

  it('folds events by measure, counting only the types a measure names', () => {
    const agg = compileAggregate(everyOp);
    const acc = agg.empty();
    const base = { user_id: 'u', product_id: 'p', session_id: null } as const;
    agg.add(acc, { ...base, event_id: 'a', event_type: 'purchase', price: 250, quantity: 2, event_time: T });
    agg.add(acc, { ...base, event_id: 'b', event_type: 'add_to_cart', price: 100, quantity: 3, event_time: T - 5 });
    agg.add(acc, { ...base, event_id: 'c', event_type: 'page_view', price: null, quantity: null, event_time: T + 7 });
    expect(agg.named(acc)).toEqual({ n: 3, purchases: 1, revenue: 500, qty: 5, first: T - 5, last: T + 7, cheapest_cart: 300 });
  });

  it('merge returns a new accumulator and leaves both inputs alone; mergeInto changes only its target', () => {
    const agg = compileAggregate(everyOp);
    const rng = new Random(1);
    const a = randomAcc(agg, rng);
    const b = randomAcc(agg, rng);
    const [a0, b0] = [a.slice(), b.slice()];
    const m = agg.merge(a, b);
    expect([a, b]).toEqual([a0, b0]);
    agg.mergeInto(a, b);
    expect(a).toEqual(m);
    expect(b).toEqual(b0);
  });

  describe.each(aggregates)('merge of %s', (_name, agg) => {
    it('is commutative, associative and has the empty accumulator as identity (10,000 random cases)', () => {
      const rng = new Random(2);
      for (let i = 0; i < 10_000; i++) {
        const [a, b, c] = [randomAcc(agg, rng), randomAcc(agg, rng), randomAcc(agg, rng)];
        expect(agg.merge(a, b)).toEqual(agg.merge(b, a));
        expect(agg.merge(agg.merge(a, b), c)).toEqual(agg.merge(a, agg.merge(b, c)));
        expect(agg.merge(a, agg.empty())).toEqual(a);
      }
    });

    it('folding events one by one equals merging the folds of any split of them', () => {
      const rng = new Random(3);
      for (let i = 0; i < 500; i++) {
        const events = Array.from({ length: rng.int(0, 30) }, (_, j) => randomEvent(rng, `e${j}`, T + rng.int(-1e9, 1e9)));
        const whole = agg.empty();
        for (const e of events) agg.add(whole, e);
        const parts = [agg.empty(), agg.empty(), agg.empty()];
        for (const e of events) agg.add(parts[rng.int(0, 2)], e);
        expect(agg.merge(agg.merge(parts[2], parts[0]), parts[1])).toEqual(whole);
      }
    });
  });
});
