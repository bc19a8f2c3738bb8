import { MeasureStateError } from '../../errors.ts';
import { parseJsonArrayState } from './json-state.ts';
import type { MeasureKind } from './measure-kind.ts';
import { compareMeasureValues, measureValueOf, type MeasureValue } from './measure-value.ts';

/**
 * The exact number of distinct values of an input: the state is the set of values, merged by
 * union; it is as large as the number of distinct values of a pane, so use the HyperLogLog kind
 * (`count_distinct_hll`, fixed 2^p bytes) where that is large. Stored as the JSON array of the
 * values in `compareMeasureValues` order (equal sets, equal text); in SQL a LIST of the values.
 */
export const countDistinctMeasure: MeasureKind<Set<MeasureValue>, MeasureValue, number, string> = {
  kind: 'count_distinct',
  empty: () => new Set(),
  add(state, value) {
    state.add(value);
  },
  mergeInto(into, from) {
    for (const v of from) into.add(v);
  },
  present: (state) => state.size,
  encode: (state) => JSON.stringify([...state].sort(compareMeasureValues)),
  decode(stored) {
    return new Set(parseJsonArrayState('count_distinct', 'a JSON array of values', stored).map((v) => measureValueOf('count_distinct', v)));
  },
  sql: {
    state: (input) => `list(DISTINCT ${input}) FILTER (WHERE ${input} IS NOT NULL)`,
    merge: (c) => `list_distinct(flatten(list(${c})))`,
    fromSql(v) {
      if (v === null) return new Set();
      if (!Array.isArray(v)) throw new MeasureStateError('count_distinct', 'a LIST of values', v);
      return new Set(v.map((x) => measureValueOf('count_distinct', x)));
    },
  },
};
