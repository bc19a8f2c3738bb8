import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../../../../infra/duckdb/duckdb-database.ts';
import { hllCountDistinctMeasure } from '../../../../shared/compute/measures/count-distinct-hll.ts';
import { hllPacked, hllPackedSql } from '../../../../shared/compute/measures/hll-hash.ts';
import { ConfigError, MeasureStateError } from '../../../../shared/errors.ts';
import { Random } from '../../../../workload/random.ts';
import { measureKindLaws } from '../../support/measure-kind-laws.ts';

const hll = hllCountDistinctMeasure();
const DISTINCT = 100_000;
/** 3 standard errors of p = 12 (1.04 / sqrt(4096)): the bound the docs state, 99.7% of cases. */
const BOUND = 3 * (1.04 / 64);

describe('the HyperLogLog register hash', () => {
  it('takes register and rank from the first 64 bits of MD5', () => {
    // MD5("abc") = 900150983cd24fb0... (RFC 1321). p = 12: register 0x900 = 2304; the next bits
    // are 0001 0101..., so the first 1 is the 4th: rank 4.
    expect(hllPacked('abc', 12)).toBe(2304 * 64 + 4);
    // p = 8: register 0x90 = 144; the next bits 0000 0001 0101...: rank 8.
    expect(hllPacked('abc', 8)).toBe(144 * 64 + 8);
  });

  describe('in DuckDB SQL', () => {
    let db: DuckDb;
    beforeAll(async () => {
      db = await DuckDb.open();
    });
    afterAll(async () => {
      await db.close();
    });

    it('is the same for strings, integers and booleans, at every precision', async () => {
      const rng = new Random(3);
      const strings = Array.from({ length: 2_000 }, (_, i) => (i % 3 === 0 ? `é-${rng.hex(6)}-✓` : rng.hex(rng.int(0, 40))));
      const ints = Array.from({ length: 2_000 }, () => rng.int(-(2 ** 40), 2 ** 40));
      await db.run('CREATE TABLE vals (s VARCHAR, n BIGINT, b BOOLEAN)');
      await db.append('vals', strings.map((s, i) => [s, BigInt(ints[i]), i % 2 === 0]));
      for (const p of [4, 10, 12, 16]) {
        const rows = await db.all(`SELECT s, n, b, ${hllPackedSql('s', p)} AS ps, ${hllPackedSql('n', p)} AS pn, ${hllPackedSql('b', p)} AS pb FROM vals`);
        for (const r of rows) {
          expect(r.ps, `${r.s} at p=${p}`).toBe(hllPacked(r.s as string, p));
          expect(r.pn, `${r.n} at p=${p}`).toBe(hllPacked(Number(r.n), p));
          expect(r.pb).toBe(hllPacked(r.b as boolean, p));
        }
      }
    });

    it(`builds the very registers the JS fold builds from ${DISTINCT} distinct values, and both estimate within 3 standard errors`, async () => {
      await db.run(`CREATE TABLE many AS SELECT 'user-' || i::VARCHAR AS v, i % 4 AS part FROM range(${DISTINCT}) r(i)`);
      const [r] = await db.all(`SELECT ${hll.sql.merge('s')} AS s FROM (SELECT part, ${hll.sql.state('v', '0')} AS s FROM many GROUP BY part)`);
      const js = hll.empty();
      for (let i = 0; i < DISTINCT; i++) hll.add(js, `user-${i}`, 0);
      const sql = hll.sql.fromSql(r.s);
      expect(hll.encode(sql)).toEqual(hll.encode(js));
      // Dense by now: all 4096 registers are in use.
      expect(hll.encode(js).length).toBe(4096);
      expect(Math.abs(hll.present(js) / DISTINCT - 1)).toBeLessThan(BOUND);
    });
  });

  it('estimates within 3 standard errors from 1 to 1M distinct values, and repeats do not count', () => {
    const rng = new Random(8);
    for (const n of [1, 10, 100, 1_000, 5_000, 20_000, 300_000, 1_000_000]) {
      const s = hll.empty();
      const salt = rng.hex(8);
      for (let i = 0; i < n; i++) hll.add(s, `${salt}-${i}`, 0);
      for (let i = 0; i < Math.min(n, 1_000); i++) hll.add(s, `${salt}-${i}`, 0);
      const err = Math.abs(hll.present(s) / n - 1);
      expect(err, `n = ${n}, estimate ${hll.present(s)}`).toBeLessThan(BOUND);
    }
    expect(hll.present(hll.empty())).toBe(0);
  });

  it('needs a precision from 4 to 16 and refuses registers of another precision', () => {
    expect(() => hllCountDistinctMeasure(3)).toThrow(ConfigError);
    expect(() => hllCountDistinctMeasure(17)).toThrow(ConfigError);
    expect(() => hll.decode([4096 * 64 + 1])).toThrow(MeasureStateError);
    expect(() => hll.decode([5 * 64])).toThrow(MeasureStateError);
    expect(() => hll.mergeInto(hll.empty(), hllCountDistinctMeasure(10).empty())).toThrow(MeasureStateError);
  });
});

measureKindLaws(hll, { sqlType: 'VARCHAR', value: (rng) => `v${rng.int(0, 3_000)}` });
measureKindLaws(hllCountDistinctMeasure(6), { sqlType: 'BIGINT', value: (rng) => rng.int(0, 5_000), seed: 16 });
