import { fixedWidthKind, type FixedWidthKind } from './measure-kind.ts';

/**
 * The input of the first (or last) event by event time: two slots, [time, value]. Which event is
 * first must not depend on arrival order or on how events were split into partials, so ties in
 * event time go to the smaller value for `first` and to the larger for `last`: `first` is the
 * lexicographic minimum of (time, value) and `last` the maximum, and a minimum is associative and
 * commutative. (The event id would be a more natural tie-break but is a string, which two double
 * slots cannot hold; equal times with different values are rare, and any fixed rule is enough for
 * every layer to agree.) The empty state has time +Infinity (first) or -Infinity (last), so any
 * event replaces it; it presents as null. Numeric inputs.
 */
export type FirstOrLast = 'first' | 'last';

/** The `first` or `last` measure kind. */
export function firstLastMeasure(which: FirstOrLast): FixedWidthKind<number, number | null> {
  // sign 1: keep the smaller (time, value); sign -1: keep the larger. One rule for both directions.
  const sign = which === 'first' ? 1 : -1;
  const none = which === 'first' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const replaces = (t: number, v: number, curT: number, curV: number) => sign * (t - curT) < 0 || (t === curT && sign * (v - curV) < 0);
  const kind: FixedWidthKind<number, number | null> = fixedWidthKind({
    kind: which,
    width: 2,
    emptyAt(s, at) {
      s[at] = none;
      s[at + 1] = 0;
    },
    addAt(s, at, value, time) {
      if (replaces(time, value, s[at], s[at + 1])) {
        s[at] = time;
        s[at + 1] = value;
      }
    },
    mergeAt(s, at, from, fromAt) {
      if (replaces(from[fromAt], from[fromAt + 1], s[at], s[at + 1])) {
        s[at] = from[fromAt];
        s[at + 1] = from[fromAt + 1];
      }
    },
    presentAt: (s, at) => (s[at] === none ? null : s[at + 1]),
    sql: {
      // DuckDB orders lists lexicographically, so min/max over [time, value] is the same rule.
      state: (input, time) =>
        `coalesce(${which === 'first' ? 'min' : 'max'}([${time}, ${input}]::DOUBLE[]) FILTER (WHERE ${input} IS NOT NULL), ${emptySql(none)})`,
      merge: (c) => `coalesce(${which === 'first' ? 'min' : 'max'}(${c}), ${emptySql(none)})`,
      fromSql: (v) => (v === null ? kind.empty() : kind.decode(v as number[])),
    },
  });
  return kind;
}

function emptySql(none: number): string {
  return `['${none > 0 ? 'Infinity' : '-Infinity'}'::DOUBLE, 0]`;
}
