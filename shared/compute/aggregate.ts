import type { Event } from '../model/event.ts';
import { combine, foldJs, identityOf, type CompiledMeasure } from './measure.ts';

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
  readonly measures: readonly CompiledMeasure[];
  empty(): Accumulator;
  /** Folds one event into acc (mutates it: this is the hot path). */
  add(acc: Accumulator, e: Event): void;
  /** `add` for an accumulator stored flat in `accs` at `at`..`at + measures.length - 1` (ViewState's pane table). */
  addAt(accs: Float64Array, at: number, e: Event): void;
  /** Folds src into target (mutates target). */
  mergeInto(target: Accumulator, src: Accumulator): void;
  /** A new accumulator, the combine of a and b. */
  merge(a: Accumulator, b: Accumulator): Accumulator;
  /** Measures by name. */
  named(acc: Accumulator): Record<string, number>;
}

export function compileAggregate(measures: readonly CompiledMeasure[]): Aggregate {
  const n = measures.length;
  const ids = measures.map((m) => identityOf(m.op));
  const ops = measures.map((m) => m.op);
  const agg: Aggregate = {
    measures,
    empty: () => ids.slice(),
    add: compileAdd(measures, (i) => `acc[${i}]`, ['acc', 'e']) as Aggregate['add'],
    addAt: compileAdd(measures, (i) => `acc[at + ${i}]`, ['acc', 'at', 'e']) as Aggregate['addAt'],
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

/**
 * The per-event fold, generated as one straight-line function from the measures (the hot path:
 * a loop over per-measure closures runs several times slower); `slot` names where measure i
 * lives (a number[] or a slice of a Float64Array), so both forms come from one rule. The code comes
 * only from `foldJs`, which escapes every name and literal of the definition (expression-js.ts).
 */
function compileAdd(measures: readonly CompiledMeasure[], slot: (i: number) => string, params: readonly string[]): (...args: never[]) => void {
  const lines = measures.map((m, i) => foldJs(m, 'e', slot(i)));
  return new Function(...params, lines.join('\n')) as (...args: never[]) => void;
}
