import { md5High, md5Low } from './md5-prefix.ts';
import type { MeasureValue } from './measure-value.ts';

/**
 * Where a value lands in a HyperLogLog sketch of precision p, identically in JS and in DuckDB SQL,
 * so a sketch built by the batch layer and one folded by the speed layer from the same events
 * have the same registers. The hash is MD5 of the value's text (UTF-8): DuckDB's `hash()` is not
 * stable across versions, `md5` is a standard (`md5-prefix.ts` computes it here, tested equal to
 * node:crypto). Of the digest's first 64 bits (big-endian, the first 16 hex digits), the top p
 * bits are the register and the rank is the position of the first 1 among the other 64 - p bits
 * (64 - p + 1 when they are all 0).
 *
 * The result is packed as `register * 64 + rank` (rank < 64 for p >= 2), one integer that is
 * also the stored form of a register: the maximum of packed values of one register is its rank.
 *
 * A value's text: strings as they are, integers in decimal, booleans as true/false, which is what
 * `CAST(x AS VARCHAR)` gives in DuckDB for VARCHAR, BIGINT and BOOLEAN columns.
 */
export function hllPacked(value: MeasureValue, precision: number): number {
  const hi = md5High(typeof value === 'string' ? value : String(value));
  const register = hi >>> (32 - precision);
  // The 32 - p bits of `hi` below the register, moved to the top (zeros below them).
  const rest = hi << precision;
  let rank: number;
  if (rest !== 0) rank = Math.clz32(rest) + 1;
  else {
    const lo = md5Low();
    // clz32(0) is 32: all 64 - p bits zero gives 64 - p + 1.
    rank = 32 - precision + Math.clz32(lo) + 1;
  }
  return register * 64 + rank;
}

/** The SQL twin of `hllPacked` over an expression of a VARCHAR, BIGINT or BOOLEAN column. */
export function hllPackedSql(input: string, precision: number): string {
  const h = `('0x' || left(md5(CAST(${input} AS VARCHAR)), 16))::UBIGINT`;
  // The bits below the register; bit_position gives the 1-based position of the first 1 among
  // all 64 (0 when there is none), so the rank within the 64 - p bits is that position minus p.
  const rest = `(${h} & ${(1n << BigInt(64 - precision)) - 1n}::UBIGINT)`;
  const rank = `coalesce(nullif(bit_position('1'::BIT, ${rest}::BIT), 0) - ${precision}, ${65 - precision})`;
  return `((${h} >> ${64 - precision})::INTEGER * 64 + ${rank})`;
}
