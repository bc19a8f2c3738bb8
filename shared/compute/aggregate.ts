import type { Event } from '../model/event.ts';
import { combine, contributionOf, identityOf, type Measure } from './measure.ts';

/**
 * An accumulator: one number per measure, in the order of the view's measures. A plain array so
 * it stores as DOUBLE[] in DuckDB and double precision[] in PostgreSQL and crosses layers as is.
 */
export type Accumulator = number[];

/**
 * The aggregate of a view, compiled from its measures: Beam's CombineFn (create / add / merge /
 * extract) over mergeable values. `merge` is associative and commutative, so batch partials, speed
 * partials, per-partition partials and replays combine by this one rule in any grouping.
 */
export interface Aggregate {
  readonly measures: readonly Measure[];
  empty(): Accumulator;
  /** Folds one event into acc (mutates it: this is the hot path). */
  add(acc: Accumulator, e: Event): void;
  /** Folds src into target (mutates target). */
  mergeInto(target: Accumulator, src: Accumulator): void;
  /** A new accumulator, the combine of a and b. */
  merge(a: Accumulator, b: Accumulator): Accumulator;
  /** Measures by name. */
  named(acc: Accumulator): Record<string, number>;
}

export function compileAggregate(measures: readonly Measure[]): Aggregate {
  const n = measures.length;
  const ids = measures.map((m) => identityOf(m.op));
  const ops = measures.map((m) => m.op);
  const contributions = measures.map(contributionOf);
  const agg: Aggregate = {
    measures,
    empty: () => ids.slice(),
    add(acc, e) {
      for (let i = 0; i < n; i++) acc[i] = combine(ops[i], acc[i], contributions[i](e));
    },
    mergeInto(target, src) {
      for (let i = 0; i < n; i++) target[i] = combine(ops[i], target[i], src[i]);
    },
    merge(a, b) {
      const out = a.slice();
      agg.mergeInto(out, b);
      return out;
    },
    named(acc) {
      const o: Record<string, number> = {};
      for (let i = 0; i < n; i++) o[measures[i].name] = acc[i];
      return o;
    },
  };
  return agg;
}
