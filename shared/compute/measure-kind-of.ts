import { avgMeasure } from './measures/avg.ts';
import { DEFAULT_HLL_PRECISION, hllCountDistinctMeasure } from './measures/count-distinct-hll.ts';
import { countDistinctMeasure } from './measures/count-distinct.ts';
import { firstLastMeasure } from './measures/first-last.ts';
import type { FixedWidthKind, MeasureKind } from './measures/measure-kind.ts';
import type { MeasureValue } from './measures/measure-value.ts';
import { topKMeasure } from './measures/top-k.ts';
import type { CompiledMeasure } from './measure.ts';

/**
 * The kind of a measure that is not one of the four scalar ops: a fixed-width kind (`avg`,
 * `first`, `last`: its doubles live in the accumulator's slots, next to the scalar ones) or an
 * object kind (`count_distinct`, `count_distinct_hll`, `top_k`: its state is an object kept beside
 * the slots, stored as text). Undefined for count, sum, min and max.
 */
export type KindOf = { readonly fixed: FixedWidthKind<number, number | null>; readonly object?: undefined } | { readonly object: ObjectKind; readonly fixed?: undefined };

/** A measure kind whose state is an object (a set, registers, counts), as the aggregate handles it. */
export type ObjectKind = MeasureKind<unknown, MeasureValue, unknown, unknown> & {
  /**
   * When the kind is an estimate: how far its answer may be from the exact value `exact` (the
   * ground truth's) for a comparison to count it equal. Absent: exact.
   */
  readonly tolerance?: (exact: number) => number;
};

const FIRST = firstLastMeasure('first');
const LAST = firstLastMeasure('last');
const hllKinds = new Map<number, ObjectKind>();
const topKinds = new Map<number, ObjectKind>();

/** The measure kind of a compiled measure (see KindOf); undefined for the scalar ops. */
export function measureKindOf(m: Pick<CompiledMeasure, 'op' | 'k' | 'precision'>): KindOf | undefined {
  switch (m.op) {
    case 'count':
    case 'sum':
    case 'min':
    case 'max':
      return undefined;
    case 'avg':
      return { fixed: avgMeasure };
    case 'first':
      return { fixed: FIRST };
    case 'last':
      return { fixed: LAST };
    case 'count_distinct':
      return { object: countDistinctMeasure as unknown as ObjectKind };
    case 'count_distinct_hll':
      return { object: hllKind(m.precision ?? DEFAULT_HLL_PRECISION) };
    case 'top_k':
      return { object: topKMeasureOf(m.k!) };
  }
}

function topKMeasureOf(k: number): ObjectKind {
  let kind = topKinds.get(k);
  if (!kind) topKinds.set(k, (kind = topKMeasure(k) as unknown as ObjectKind));
  return kind;
}

function hllKind(precision: number): ObjectKind {
  let kind = hllKinds.get(precision);
  if (!kind) {
    // 6 standard errors (1.04 / sqrt(m) each) of the estimate, and at least 2 values. Not 3: a
    // comparison judges every window of every key, thousands of estimates, and 3 standard errors
    // are exceeded by 0.3% of them (seen: 118 distinct values in 4096 registers with 8 colliding
    // pairs, 1.7 expected, estimated 112). A lost or double-counted partial is off by far more.
    // Below about 2.5 m linear counting answers, whose error is the few register collisions.
    const relative = (6 * 1.04) / Math.sqrt(2 ** precision);
    kind = { ...(hllCountDistinctMeasure(precision) as unknown as ObjectKind), tolerance: (exact) => Math.max(2, relative * exact) };
    hllKinds.set(precision, kind);
  }
  return kind;
}
