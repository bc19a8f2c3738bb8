import { ConfigError, MeasureStateError } from '../../errors.ts';
import { parseJsonArrayState } from './json-state.ts';
import type { MeasureKind } from './measure-kind.ts';
import { compareMeasureValues, measureValueOf, type MeasureValue } from './measure-value.ts';

/** One entry of a top-k answer. */
export interface TopEntry {
  readonly value: MeasureValue;
  readonly count: number;
}

/**
 * The k most frequent values of an input in a window, with their counts. The state is the exact
 * count of every value (merged by adding counts), and the k largest are chosen only when
 * presented, ties going to the smaller value (`compareMeasureValues`): so the answer is the same
 * whatever the order and grouping of events, and batch and speed agree exactly. A bounded sketch
 * (Misra-Gries, Space-Saving) would cap memory, but its merged counters depend on how events were
 * split into partials, so two layers could present different top lists (docs/decisions.md). The
 * state grows with the distinct values of a pane.
 *
 * Stored as the JSON array of [value, count] pairs in value order; in SQL a MAP(value, count).
 */
export function topKMeasure(k: number): MeasureKind<Map<MeasureValue, number>, MeasureValue, TopEntry[], string> {
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`top_k needs k, a whole number >= 1 (how many values to show), got ${k}`);
  const kind = `top_k(k=${k})`;
  const fromEntries = (entries: readonly unknown[], expected: string, got: unknown) => {
    const counts = new Map<MeasureValue, number>();
    for (const e of entries) {
      const [v, n] = Array.isArray(e) ? e : e !== null && typeof e === 'object' ? [(e as { key: unknown }).key, (e as { value: unknown }).value] : [];
      const count = typeof n === 'bigint' ? Number(n) : n;
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) throw new MeasureStateError(kind, expected, got);
      const value = measureValueOf(kind, v);
      counts.set(value, (counts.get(value) ?? 0) + count);
    }
    return counts;
  };
  return {
    kind,
    empty: () => new Map(),
    add(state, value) {
      state.set(value, (state.get(value) ?? 0) + 1);
    },
    mergeInto(into, from) {
      for (const [v, n] of from) into.set(v, (into.get(v) ?? 0) + n);
    },
    present(state) {
      const entries = [...state].sort((a, b) => b[1] - a[1] || compareMeasureValues(a[0], b[0]));
      return entries.slice(0, k).map(([value, count]) => ({ value, count }));
    },
    encode: (state) => JSON.stringify([...state].sort((a, b) => compareMeasureValues(a[0], b[0]))),
    decode: (stored) => fromEntries(parseJsonArrayState(kind, 'a JSON array of [value, count] pairs', stored), 'a JSON array of [value, count] pairs', stored),
    sql: {
      // The counts of the group's list rather than the histogram aggregate: 1.95M vs 0.54M rows/s
      // (20k groups, one thread), at the price of holding a group's values until it is counted.
      state: (input) => `list_histogram(list(${input}) FILTER (WHERE ${input} IS NOT NULL))`,
      // Counts of one value add up across partials: unnest the partial maps, sum per value.
      merge: (c) =>
        `(SELECT map_from_entries(list({'key': v, 'value': n})) FROM (SELECT e.key AS v, sum(e.value)::UBIGINT AS n FROM (SELECT unnest(flatten(list(map_entries(${c})))) AS e) GROUP BY e.key))`,
      fromSql(v) {
        if (v === null) return new Map();
        if (!Array.isArray(v)) throw new MeasureStateError(kind, 'a MAP(value, count)', v);
        return fromEntries(v, 'a MAP(value, count)', v);
      },
    },
  };
}
