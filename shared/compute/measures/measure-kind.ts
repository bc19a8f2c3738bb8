import { MeasureStateError } from '../../errors.ts';

/**
 * A measure kind: the mergeable state of one measure of a window (Beam's CombineFn, Summingbird's
 * Semigroup) with everything each layer needs from it, so no rule of it is written twice:
 *
 * - the JS fold (`add`, the speed layer's and the replay's hot path) and the merge (`mergeInto`,
 *   associative and commutative, with `empty` as its identity), which every merge in the system
 *   uses (panes of one window, batch and speed at the horizon, per-partition partials);
 * - the SQL twins in DuckDB (`sql.state` builds the state from a group's rows in the GROUP BY the
 *   batch job already runs, `sql.merge` merges a column of such states), tested to give the very
 *   state the JS fold gives over the same events;
 * - a storage encoding that round-trips (`encode` / `decode`): numbers for fixed-width and
 *   register states, JSON text for sets and counts;
 * - the presentation (`present`), what a query answers.
 *
 * States are mutable and folded in place; a state handed to `encode` or `present` is not changed.
 * The view decides which events contribute (filter, present input): `add` is only called for
 * events whose input is present, and the SQL twins ignore rows whose input is NULL (the same rule).
 */
export interface MeasureKind<S, In, Out, Stored> {
  /** The kind's name in a pipeline definition, e.g. "avg", "count_distinct_hll". */
  readonly kind: string;
  /** The state of no events: merging it into any state changes nothing. */
  empty(): S;
  /** Folds one event's input and event time (epoch ms) into the state, in place. */
  add(state: S, value: In, time: number): void;
  /** Merges `from` into `into`, in place; `from` is not changed. */
  mergeInto(into: S, from: S): void;
  /** What a query answers for the state. */
  present(state: S): Out;
  /** The stored form: equal states encode equally, and `decode(encode(s))` equals `s`. */
  encode(state: S): Stored;
  /** The state of a stored form; throws MeasureStateError when it is not this kind's encoding. */
  decode(stored: Stored): S;
  readonly sql: MeasureKindSql<S>;
}

/** The DuckDB SQL twins of a measure kind. */
export interface MeasureKindSql<S> {
  /**
   * An aggregate expression: the state of a group's rows, from SQL expressions of the input and
   * of the event time (epoch ms). Rows whose input is NULL do not count.
   */
  state(input: string, time: string): string;
  /** An aggregate expression merging a column of states (of `state` or of `merge`) of a group. */
  merge(column: string): string;
  /** The JS state of a value that `state` or `merge` returned, as `DuckDb.all` gives it (NULL: no events). */
  fromSql(value: unknown): S;
}

/** Slots of a flat pane table (the stream processor's Float64Array) or one state's own array. */
export type Slots = Float64Array | number[];

/**
 * A measure kind whose state is a fixed number of doubles (`width` slots), so it lives in the
 * pane table's slots as today's count/sum/min/max do and stores as DOUBLE[] / double precision[].
 * The `...At` functions work on the slots at an offset; the whole-state functions are the same
 * rule at offset 0.
 */
export interface FixedWidthKind<In, Out> extends MeasureKind<number[], In, Out, number[]> {
  readonly width: number;
  /** Writes the empty state into slots [at, at + width). */
  emptyAt(slots: Slots, at: number): void;
  addAt(slots: Slots, at: number, value: In, time: number): void;
  /** Merges the state at `fromAt` of `from` into the state at `at` of `slots`. */
  mergeAt(slots: Slots, at: number, from: Slots, fromAt: number): void;
  presentAt(slots: Slots, at: number): Out;
}

/** The rules of a fixed-width kind; `fixedWidthKind` derives the whole-state functions from them. */
export type FixedWidthRules<In, Out> = Pick<FixedWidthKind<In, Out>, 'kind' | 'width' | 'emptyAt' | 'addAt' | 'mergeAt' | 'presentAt' | 'sql'>;

/** A fixed-width kind from its slot rules: whole states are the slots at offset 0. */
export function fixedWidthKind<In, Out>(rules: FixedWidthRules<In, Out>): FixedWidthKind<In, Out> {
  const { width } = rules;
  return {
    ...rules,
    empty() {
      const s = new Array<number>(width);
      rules.emptyAt(s, 0);
      return s;
    },
    add: (state, value, time) => rules.addAt(state, 0, value, time),
    mergeInto: (into, from) => rules.mergeAt(into, 0, from, 0),
    present: (state) => rules.presentAt(state, 0),
    encode: (state) => state.slice(0, width),
    decode(stored) {
      if (!Array.isArray(stored) || stored.length !== width || !stored.every((x) => typeof x === 'number')) {
        throw new MeasureStateError(rules.kind, `${width} numbers`, stored);
      }
      return stored.slice();
    },
  };
}
