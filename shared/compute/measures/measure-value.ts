import { MeasureStateError } from '../../errors.ts';

/**
 * A value that a measure tells apart (count-distinct, top-k): a string, a boolean, or an integer
 * (integer and decimal fields are integers in the master dataset: decimals as scaled units, times
 * as epoch ms). Non-integer doubles are not supported: their text differs between JS and DuckDB
 * ("1" vs "1.0"), so a sketch of them would not match across layers.
 */
export type MeasureValue = string | number | boolean;

/** The one order of measure values (states encode sorted by it, top-k breaks ties by it): numbers numerically, strings by UTF-16 code units, false before true. */
export function compareMeasureValues(a: MeasureValue, b: MeasureValue): number {
  if (typeof a !== typeof b) return TYPE_ORDER[typeof a as keyof typeof TYPE_ORDER] - TYPE_ORDER[typeof b as keyof typeof TYPE_ORDER];
  return a < b ? -1 : a > b ? 1 : 0;
}

const TYPE_ORDER = { boolean: 0, number: 1, string: 2 } as const;

/** A measure value from a DuckDB result (BIGINT comes back as bigint) or from JSON; throws MeasureStateError for anything else. */
export function measureValueOf(kind: string, v: unknown): MeasureValue {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new MeasureStateError(kind, 'made of strings, booleans or safe integers', v);
}
