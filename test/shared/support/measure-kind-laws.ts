import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb, type SqlValue } from '../../../infra/duckdb/duckdb-database.ts';
import type { MeasureKind } from '../../../shared/compute/measures/measure-kind.ts';
import { Random } from '../../../workload/random.ts';
import { shuffled } from '../../support/random-events.ts';

/**
 * The laws every measure kind must keep (Summingbird's platform Laws, run per kind): the JS fold
 * and the SQL twin give the same state over the same random rows; partials of any random split,
 * merged in any order and grouping, in JS or in SQL, give the state of one fold; the empty state
 * is the identity; the stored form round-trips. States are compared by their encoding, which is
 * canonical (equal states, equal encodings).
 */
export interface LawOptions<In> {
  /** The DuckDB type of the input column. */
  readonly sqlType: 'BIGINT' | 'VARCHAR' | 'BOOLEAN';
  /** A random input value. */
  readonly value: (rng: Random) => In;
  /** Event times are drawn from [0, timeSpan): small spans make ties in event time. */
  readonly timeSpan?: number;
  readonly seed?: number;
}

interface Row<In> {
  readonly g: string;
  readonly part: number;
  readonly t: number;
  readonly v: In | null;
}

/** Registers the law tests of a kind in the calling test file. */
export function measureKindLaws<S, In, Out, Stored>(kind: MeasureKind<S, In, Out, Stored>, o: LawOptions<In>): void {
  const rng = new Random(o.seed ?? 12);
  // Many small groups (some with no present input at all) and a few big ones.
  const rows: Row<In>[] = [];
  for (let i = 0; i < 4_000; i++) {
    const g = i < 1_000 ? `small${rng.int(0, 299)}` : `big${rng.int(0, 4)}`;
    rows.push({ g, part: rng.int(0, 6), t: rng.int(0, (o.timeSpan ?? 50) - 1), v: rng.chance(0.1) ? null : o.value(rng) });
  }
  for (let i = 0; i < 5; i++) rows.push({ g: 'no-input', part: i, t: i, v: null });
  const groups = Map.groupBy(rows, (r) => r.g);
  const encoded = (s: S) => kind.encode(s);
  const fold = (rs: readonly Row<In>[]) => {
    const s = kind.empty();
    for (const r of rs) if (r.v !== null) kind.add(s, r.v, r.t);
    return s;
  };
  const merged = (states: readonly S[]) => {
    const s = kind.empty();
    for (const p of states) kind.mergeInto(s, p);
    return s;
  };

  describe(`${kind.kind}: laws`, () => {
    let db: DuckDb;
    beforeAll(async () => {
      db = await DuckDb.open();
      await db.run(`CREATE TABLE rows (g VARCHAR, part INTEGER, t BIGINT, v ${o.sqlType})`);
      await db.append('rows', rows.map((r): SqlValue[] => [r.g, BigInt(r.part), BigInt(r.t), r.v === null ? null : o.sqlType === 'BIGINT' ? BigInt(r.v as number) : (r.v as SqlValue)]));
    });
    afterAll(async () => {
      await db.close();
    });

    it('folds in JS to the state its SQL twin builds from the same rows, per group', async () => {
      const out = await db.all(`SELECT g, ${kind.sql.state('v', 't')} AS s FROM rows GROUP BY g`);
      expect(out.length).toBe(groups.size);
      for (const r of out) {
        const expected = encoded(fold(shuffled(rng, groups.get(r.g as string)!)));
        expect(encoded(kind.sql.fromSql(r.s)), `group ${r.g}`).toEqual(expected);
      }
      expect(encoded(kind.sql.fromSql(out.find((r) => r.g === 'no-input')!.s))).toEqual(encoded(kind.empty()));
    });

    it('merges JS partials of any split, in any order and grouping, to the state of one fold', () => {
      for (const [g, rs] of groups) {
        const one = encoded(fold(rs));
        // A random split into partials, folded in random orders, merged left to right in a random order...
        const parts = [...Map.groupBy(shuffled(rng, rs), (r) => r.part).values()].map(fold);
        expect(encoded(merged(shuffled(rng, parts))), `group ${g}`).toEqual(one);
        // ...and as a random tree (pairs of partials, then pairs of those), with empty partials mixed in.
        let level = shuffled(rng, [...parts, kind.empty()]);
        while (level.length > 1) {
          const next: S[] = [];
          for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? merged([level[i], level[i + 1]]) : level[i]);
          level = next;
        }
        expect(encoded(level[0] ?? kind.empty()), `group ${g}`).toEqual(one);
      }
    });

    it('merges commutatively and associatively, with the empty state as identity', () => {
      const states = [...groups.values()].map(fold);
      for (let i = 0; i < 200; i++) {
        const [a, b, c] = [rng.pick(states), rng.pick(states), rng.pick(states)];
        expect(encoded(merged([a, b]))).toEqual(encoded(merged([b, a])));
        expect(encoded(merged([merged([a, b]), c]))).toEqual(encoded(merged([a, merged([b, c])])));
        expect(encoded(merged([a, kind.empty()]))).toEqual(encoded(a));
      }
      // mergeInto leaves its source as it was.
      const a = fold(groups.get('big0')!);
      const before = encoded(a);
      kind.mergeInto(fold(groups.get('big1')!), a);
      expect(encoded(a)).toEqual(before);
    });

    it('merges SQL partials in SQL (twice over) to the JS fold', async () => {
      const partials = `SELECT g, part, ${kind.sql.state('v', 't')} AS s FROM rows GROUP BY g, part`;
      // Two levels: partials per (g, part) merged per (g, part % 2), then per g.
      const halves = `SELECT g, part % 2 AS half, ${kind.sql.merge('s')} AS s FROM (${partials}) GROUP BY g, half`;
      const out = await db.all(`SELECT g, ${kind.sql.merge('s')} AS s FROM (${halves}) GROUP BY g`);
      expect(out.length).toBe(groups.size);
      for (const r of out) expect(encoded(kind.sql.fromSql(r.s)), `group ${r.g}`).toEqual(encoded(fold(groups.get(r.g as string)!)));
    });

    it('builds the empty state from no rows, in SQL as in JS', async () => {
      const [r] = await db.all(`SELECT ${kind.sql.state('v', 't')} AS s FROM rows WHERE false`);
      expect(encoded(kind.sql.fromSql(r.s))).toEqual(encoded(kind.empty()));
      const [m] = await db.all(`SELECT ${kind.sql.merge('s')} AS s FROM (SELECT ${kind.sql.state('v', 't')} AS s FROM rows WHERE false) WHERE false`);
      expect(encoded(kind.sql.fromSql(m.s))).toEqual(encoded(kind.empty()));
    });

    it('stores states in DuckDB (numbers as DOUBLE[], text as VARCHAR, as the view stores do) and reads them back equal', async () => {
      const states = [...groups].map(([g, rs]) => [g, fold(rs)] as const);
      const numeric = Array.isArray(kind.encode(states[0][1]));
      await db.run(`CREATE OR REPLACE TABLE stored (g VARCHAR, s ${numeric ? 'DOUBLE[]' : 'VARCHAR'})`);
      // Lists go in as text, as DuckDbViewStore writes accumulators: String() keeps Infinity.
      for (const [g, s] of states) {
        const stored = kind.encode(s);
        await db.run(`INSERT INTO stored VALUES (?, ${numeric ? 'CAST(? AS DOUBLE[])' : '?'})`, [g, numeric ? `[${(stored as number[]).join(',')}]` : (stored as string)]);
      }
      const back = new Map((await db.all('SELECT g, s FROM stored')).map((r) => [r.g as string, kind.decode(r.s as Stored)]));
      for (const [g, s] of states) {
        expect(encoded(back.get(g)!), `group ${g}`).toEqual(encoded(s));
        expect(kind.present(back.get(g)!)).toEqual(kind.present(s));
      }
    });
  });
}
