import { fixedWidthKind, type FixedWidthKind } from './measure-kind.ts';

/**
 * The mean of an input: two slots, [sum, count], merged by adding both; presented as sum / count,
 * null over no events. Exact across layers for integer inputs (cents, quantities) while the sum
 * stays below 2^53, as `sum` is: the division happens once, at presentation.
 */
export const avgMeasure: FixedWidthKind<number, number | null> = fixedWidthKind({
  kind: 'avg',
  width: 2,
  emptyAt(s, at) {
    s[at] = 0;
    s[at + 1] = 0;
  },
  addAt(s, at, value) {
    s[at] += value;
    s[at + 1]++;
  },
  mergeAt(s, at, from, fromAt) {
    s[at] += from[fromAt];
    s[at + 1] += from[fromAt + 1];
  },
  presentAt: (s, at) => (s[at + 1] === 0 ? null : s[at] / s[at + 1]),
  sql: {
    // SQL sum of no rows is NULL; the fold's empty sum is 0. sum(BIGINT) is exact (HUGEINT) before the cast.
    state: (input) => `[coalesce(sum(${input}), 0), count(${input})]::DOUBLE[]`,
    merge: (c) => `[coalesce(sum(${c}[1]), 0), coalesce(sum(${c}[2]), 0)]::DOUBLE[]`,
    fromSql: (v) => (v === null ? [0, 0] : avgMeasure.decode(v as number[])),
  },
});
