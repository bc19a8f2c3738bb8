import { ConfigError, MeasureStateError } from '../../errors.ts';
import { hllPacked, hllPackedSql } from './hll-hash.ts';
import { HllRegisters } from './hll-registers.ts';
import type { MeasureKind } from './measure-kind.ts';
import type { MeasureValue } from './measure-value.ts';

/** The default precision: 2^12 = 4096 registers, a standard error of 1.04 / 64 = 1.6%. */
export const DEFAULT_HLL_PRECISION = 12;

/**
 * An approximate count of distinct values in fixed memory: a HyperLogLog sketch (Flajolet, Fusy,
 * Gandouet, Meunier 2007) of 2^p registers, p in [4, 16]. Each value sets its register (`hllPacked`:
 * MD5, identical in JS and DuckDB) to the max of its rank; sketches merge register-wise by max,
 * which is associative, commutative and idempotent, so batch partials, speed partials and their
 * merges hold the very same registers whatever the split, and the estimate is the same number in
 * every layer.
 *
 * The estimate is the standard one: alpha_m m^2 / sum 2^-M[j], with the small-range correction
 * m ln(m / V) (linear counting) while that raw estimate is at most 2.5 m and V registers are 0; a
 * 64-bit hash needs no large-range correction. Its relative standard error is 1.04 / sqrt(m)
 * (p = 12: 1.6%; within 3 standard errors, 4.9%, in 99.7% of cases); below about 2.5 m distinct
 * values linear counting is more accurate than that.
 *
 * The state is the registers (`HllRegisters`: sparse while few are in use, then 2^p bytes). Stored,
 * and returned by the SQL twins, as the sorted list of packed registers that are not 0
 * (`register * 64 + rank`): as many numbers as registers in use, at most 2^p, which fits the view
 * stores' numeric arrays.
 */
export function hllCountDistinctMeasure(precision = DEFAULT_HLL_PRECISION): MeasureKind<HllRegisters, MeasureValue, number, number[]> {
  if (!Number.isInteger(precision) || precision < 4 || precision > 16) {
    throw new ConfigError(`count_distinct_hll precision must be a whole number from 4 to 16 (2^p registers; 12 gives 1.6% standard error), got ${precision}`);
  }
  const m = 1 << precision;
  const maxRank = 65 - precision;
  const kind = `count_distinct_hll(p=${precision})`;
  const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);

  const decode = (stored: unknown): HllRegisters => {
    if (!Array.isArray(stored)) throw new MeasureStateError(kind, 'a list of packed registers', stored);
    const registers = new HllRegisters(m);
    for (const x of stored) {
      const packed = typeof x === 'bigint' ? Number(x) : x;
      const rank = packed % 64;
      if (!Number.isInteger(packed) || packed < 0 || packed >= m * 64 || rank < 1 || rank > maxRank) {
        throw new MeasureStateError(kind, `packed registers (register * 64 + rank, register < ${m}, rank 1..${maxRank})`, stored);
      }
      registers.raise(packed);
    }
    return registers;
  };
  // One SQL rule for building and for merging: the max packed value of each register.
  const perRegisterMaxSql = (packedList: string) =>
    `coalesce((SELECT list(r ORDER BY r) FROM (SELECT max(x) AS r FROM (SELECT unnest(${packedList}) AS x) GROUP BY x // 64)), []::INTEGER[])`;

  return {
    kind,
    empty: () => new HllRegisters(m),
    add(state, value) {
      state.raise(hllPacked(value, precision));
    },
    mergeInto(into, from) {
      if (from.m !== m) throw new MeasureStateError(kind, `${m} registers`, `${from.m} registers`);
      into.raiseAll(from);
    },
    present(state) {
      // Registers at 0 add 2^0 = 1 each.
      let zeros = m;
      let sum = 0;
      state.forEach((_, rank) => {
        zeros--;
        sum += 2 ** -rank;
      });
      const raw = (alpha * m * m) / (sum + zeros);
      return Math.round(raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw);
    },
    encode(state) {
      const out: number[] = [];
      state.forEach((register, rank) => out.push(register * 64 + rank));
      return out;
    },
    decode,
    sql: {
      state: (input) => perRegisterMaxSql(`list(DISTINCT ${hllPackedSql(input, precision)}) FILTER (WHERE ${input} IS NOT NULL)`),
      merge: (c) => perRegisterMaxSql(`flatten(list(${c}))`),
      fromSql: (v) => (v === null ? new HllRegisters(m) : decode(v)),
    },
  };
}
