import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { combine, combineSql, contributionOf, identityOf, measureSql, type Measure, type MeasureInput, type MeasureOp } from '../../../shared/compute/measure.ts';
import { EVENT_TYPES, type Event } from '../../../shared/model/event.ts';
import { Random } from '../../../workload/random.ts';
import { randomEvent } from '../../support/random-events.ts';
import { createEventTable } from '../support/event-table.ts';

const T = Date.UTC(2026, 0, 1, 10);
const base = { user_id: 'u', product_id: 'p', session_id: null } as const;
const purchase: Event = { ...base, event_id: 'a', event_type: 'purchase', price_cents: 1_999, quantity: 3, event_time: T };
const view: Event = { ...base, event_id: 'b', event_type: 'page_view', price_cents: 500, quantity: 0, event_time: T + 1 };

/** Every measure the vocabulary can express. */
const allMeasures: Measure[] = [];
for (const op of ['count', 'sum', 'min', 'max'] as MeasureOp[]) {
  for (const input of (op === 'count' ? [undefined] : ['amount_cents', 'quantity', 'event_time']) as (MeasureInput | undefined)[]) {
    for (const when of [undefined, ...EVENT_TYPES]) allMeasures.push({ name: `${op}_${input ?? 'all'}_${when ?? 'any'}`, op, input, when });
  }
}

/** The JS fold of one measure over events. */
function fold(m: Measure, events: readonly Event[]): number {
  const value = contributionOf(m);
  let acc = identityOf(m.op);
  for (const e of events) acc = combine(m.op, acc, value(e));
  return acc;
}

describe('measures', () => {
  it('have identities that merging does not change', () => {
    for (const op of ['count', 'sum', 'min', 'max'] as MeasureOp[]) {
      for (const x of [-5, 0, 7, T]) expect(combine(op, identityOf(op), x)).toBe(x);
    }
  });

  it('contribute amount as price times quantity, in cents', () => {
    expect(contributionOf({ name: 'r', op: 'sum', input: 'amount_cents' })(purchase)).toBe(5_997);
    expect(contributionOf({ name: 'q', op: 'sum', input: 'quantity' })(purchase)).toBe(3);
    expect(contributionOf({ name: 't', op: 'max', input: 'event_time' })(purchase)).toBe(T);
    expect(contributionOf({ name: 'n', op: 'count' })(purchase)).toBe(1);
  });

  it('count no amount for a page view that carries a price but no quantity', () => {
    expect(contributionOf({ name: 'r', op: 'sum', input: 'amount_cents' })(view)).toBe(0);
  });

  it('contribute their identity for events of other types', () => {
    expect(contributionOf({ name: 'n', op: 'count', when: 'purchase' })(view)).toBe(0);
    expect(contributionOf({ name: 'm', op: 'min', input: 'event_time', when: 'purchase' })(view)).toBe(Infinity);
    expect(contributionOf({ name: 'm', op: 'max', input: 'event_time', when: 'purchase' })(view)).toBe(-Infinity);
  });
});

describe('measureSql, the SQL twin of contributionOf + combine', () => {
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
        if (expected === identityOf(m.op)) identities++;
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
    allMeasures.forEach((m, i) => expect(r[`m${i}`]).toBe(identityOf(m.op)));
  });

  it('sums large revenues exactly (below 2^53 cents)', async () => {
    const big = Array.from({ length: 100 }, (_, i) => ({ ...purchase, event_id: `b${i}`, price_cents: 99_999_999_99 - i, quantity: 1_000 }));
    await createEventTable(db, 'big', big);
    const m: Measure = { name: 'r', op: 'sum', input: 'amount_cents' };
    const [r] = await db.all(`SELECT ${measureSql(m)} AS r FROM big`);
    expect(r.r).toBe(fold(m, big));
    expect(BigInt(r.r as number)).toBe((99_999_999_99n * 100n - 4_950n) * 1_000n);
  });
});
