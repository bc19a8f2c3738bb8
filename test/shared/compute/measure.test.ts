import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { compileAggregate } from '../../../shared/compute/aggregate.ts';
import { combine, combineSql, identityOf, measureSql, type CompiledMeasure, type ScalarOp } from '../../../shared/compute/measure.ts';
import { type EcommerceEvent as Event } from '../../../examples/ecommerce/pipeline.ts';
import { Random } from '../../../workload/random.ts';
import { randomEvent } from '../../support/random-events.ts';
import { createEventTable } from '../support/event-table.ts';
import { foldByDefinition as fold, measure, measureCases } from '../support/measure-cases.ts';

const T = Date.UTC(2026, 0, 1, 10);
const base = { user_id: 'u', product_id: 'p', session_id: null } as const;
const purchase: Event = { ...base, event_id: 'a', event_type: 'purchase', price: 1_999, quantity: 3, event_time: T };
const view: Event = { ...base, event_id: 'b', event_type: 'page_view', price: 500, quantity: null, event_time: T + 1 };

/** Every op over a spread of inputs and filters. */
const allMeasures: CompiledMeasure[] = measureCases();

/** What the generated fold gives for one measure over events. */
function generated(m: CompiledMeasure, events: readonly Event[]): number {
  const agg = compileAggregate([m]);
  const acc = agg.empty();
  for (const e of events) agg.add(acc, e);
  return acc[0];
}

describe('measures', () => {
  it('have identities that merging does not change', () => {
    for (const op of ['count', 'sum', 'min', 'max'] as ScalarOp[]) {
      for (const x of [-5, 0, 7, T]) expect(combine(op, identityOf(op), x)).toBe(x);
    }
  });

  it('contribute an arithmetic input, price times quantity in cents', () => {
    expect(generated(measure({ name: 'r', op: 'sum', input: 'price * quantity' }), [purchase])).toBe(5_997);
    expect(generated(measure({ name: 'q', op: 'sum', input: 'quantity' }), [purchase])).toBe(3);
    expect(generated(measure({ name: 't', op: 'max', input: 'event_time' }), [purchase])).toBe(T);
    expect(generated(measure({ name: 'n', op: 'count' }), [purchase])).toBe(1);
  });

  it('align decimal scales: price + quantity adds whole units to cents', () => {
    expect(generated(measure({ name: 'x', op: 'sum', input: 'price + quantity' }), [purchase])).toBe(1_999 + 300);
    expect(generated(measure({ name: 'n', op: 'count', filter: 'price > 19.98' }), [purchase])).toBe(1);
    expect(generated(measure({ name: 'n', op: 'count', filter: 'price > 19.99' }), [purchase])).toBe(0);
  });

  it('count no amount for a page view that carries a price but no quantity (a null input contributes nothing)', () => {
    expect(generated(measure({ name: 'r', op: 'sum', input: 'price * quantity' }), [view])).toBe(0);
    expect(generated(measure({ name: 'r', op: 'min', input: 'price * quantity' }), [view])).toBe(Infinity);
  });

  it('contribute their identity for events their filter refuses', () => {
    expect(generated(measure({ name: 'n', op: 'count', filter: "event_type = 'purchase'" }), [view])).toBe(0);
    expect(generated(measure({ name: 'm', op: 'min', input: 'event_time', filter: "event_type = 'purchase'" }), [view])).toBe(Infinity);
    expect(generated(measure({ name: 'm', op: 'max', input: 'event_time', filter: "event_type = 'purchase'" }), [view])).toBe(-Infinity);
  });

  it('treat a comparison with an absent field as false, so not of it is true', () => {
    expect(generated(measure({ name: 'n', op: 'count', filter: 'quantity < 5' }), [view])).toBe(0);
    expect(generated(measure({ name: 'n', op: 'count', filter: 'not quantity < 5' }), [view])).toBe(1);
  });

  it('generate the fold the definition gives (tree-walking interpreter), for every case on random events', () => {
    const rng = new Random(5);
    const events = Array.from({ length: 500 }, (_, i) => randomEvent(rng, `e${i}`, T + rng.int(-1e9, 1e9)));
    const agg = compileAggregate(allMeasures);
    for (let i = 0; i < 50; i++) {
      const some = events.slice(rng.int(0, 400), rng.int(400, 500));
      const acc = agg.empty();
      for (const e of some) agg.add(acc, e);
      expect(acc).toEqual(allMeasures.map((m) => fold(m, some)));
    }
  });
});

describe('measureSql, the SQL twin of the generated fold', () => {
  let db: DuckDb;
  beforeAll(async () => {
    db = await DuckDb.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('agrees with the JS fold for every measure, per group, on random events', async () => {
    const rng = new Random(6);
    // Many small groups, so some hold no event of a given type and must come out as the identity.
    const events = Array.from({ length: 3_000 }, (_, i) => randomEvent(rng, `e${i}`, T + rng.int(-1e9, 1e9), 400, 5));
    await createEventTable(db, 'events', events);
    const rows = await db.all(`SELECT user_id, ${allMeasures.map((m, i) => `${measureSql(m)} AS m${i}`).join(', ')} FROM events GROUP BY user_id`);
    expect(rows.length).toBeGreaterThan(300);
    const byUser = Map.groupBy(events, (e) => e.user_id);
    let identities = 0;
    for (const r of rows) {
      const group = byUser.get(r.user_id as string)!;
      allMeasures.forEach((m, i) => {
        const expected = fold(m, group);
        if (expected === identityOf(m.op as ScalarOp)) identities++;
        expect(r[`m${i}`], `${m.name} of ${r.user_id}`).toBe(expected);
      });
    }
    expect(identities).toBeGreaterThan(0);
  });

  it('merges partials with combineSql (the twin of combine) to the aggregate of all their events', async () => {
    const rng = new Random(7);
    const events = Array.from({ length: 2_000 }, (_, i) => randomEvent(rng, `c${i}`, T + rng.int(-1e9, 1e9), 50, 5));
    await createEventTable(db, 'parts', events);
    // Partials per (user, a random part), some of them identities, merged per user.
    const partials = `SELECT user_id, hash(event_id) % 7 AS part, ${allMeasures.map((m, i) => `${measureSql(m)} AS m${i}`).join(', ')} FROM parts GROUP BY ALL`;
    const rows = await db.all(`SELECT user_id, ${allMeasures.map((m, i) => `${combineSql(m, `m${i}`)} AS m${i}`).join(', ')} FROM (${partials}) GROUP BY user_id`);
    const byUser = Map.groupBy(events, (e) => e.user_id);
    expect(rows.length).toBe(byUser.size);
    for (const r of rows) allMeasures.forEach((m, i) => expect(r[`m${i}`], `${m.name} of ${r.user_id}`).toBe(fold(m, byUser.get(r.user_id as string)!)));
  });

  it('gives the identity over no rows', async () => {
    await createEventTable(db, 'no_events', []);
    const [r] = await db.all(`SELECT ${allMeasures.map((m, i) => `${measureSql(m)} AS m${i}`).join(', ')} FROM no_events`);
    allMeasures.forEach((m, i) => expect(r[`m${i}`]).toBe(identityOf(m.op as ScalarOp)));
  });

  it('sums large revenues exactly (below 2^53 cents)', async () => {
    const big = Array.from({ length: 100 }, (_, i) => ({ ...purchase, event_id: `b${i}`, price: 99_999_999_99 - i, quantity: 1_000 }));
    await createEventTable(db, 'big', big);
    const m = measure({ name: 'r', op: 'sum', input: 'price * quantity' });
    const [r] = await db.all(`SELECT ${measureSql(m)} AS r FROM big`);
    expect(r.r).toBe(fold(m, big));
    expect(BigInt(r.r as number)).toBe((99_999_999_99n * 100n - 4_950n) * 1_000n);
  });
});
