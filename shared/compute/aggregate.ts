import { ConfigError, MeasureStateError } from '../errors.ts';
import type { Event } from '../model/event.ts';
import { isNullable } from './expression/expression.ts';
import { expressionJs } from './expression/expression-js.ts';
import { measureKindOf, type ObjectKind } from './measure-kind-of.ts';
import type { FixedWidthKind } from './measures/measure-kind.ts';
import type { TopEntry } from './measures/top-k.ts';
import { combine, foldJs, identityOf, isScalarOp, type CompiledMeasure, type ScalarOp } from './measure.ts';

/**
 * An accumulator: the doubles of a view's measures (one slot per count, sum, min or max, two per
 * avg, first or last), in the order of the view's measures. A plain array so it stores as
 * DOUBLE[] in DuckDB and double precision[] in PostgreSQL and crosses layers as is.
 */
export type Accumulator = number[];

/**
 * The object states of a view's object measures (count_distinct, count_distinct_hll, top_k), in
 * measure order: the part of a window's state that is not doubles. Absent (undefined) for a view
 * without such measures, so their panes carry nothing more than the slots.
 */
export type MeasureStates = unknown[];

/** What a measure answers: a number (null: an avg, first or last of no values), or a top_k list. */
export type MeasureResult = number | null | readonly TopEntry[];

/** A window's measures by name, as queries answer them and `present` reads them. */
export type MeasureResults = Readonly<Record<string, MeasureResult>>;

/**
 * The aggregate of a view, compiled from its measures: Beam's CombineFn (create / add / merge /
 * extract) over mergeable values. `merge` is associative and commutative, so batch partials, speed
 * partials, per-partition partials and replays combine by this one rule in any grouping.
 *
 * A window's state is its accumulator (the slots) plus, when the view has object measures, its
 * MeasureStates; panes carry the states encoded (`encodeStates`, one text per pane) so stores and
 * files hold them without knowing the kinds.
 */
export interface Aggregate {
  readonly measures: readonly CompiledMeasure[];
  /** Slots of an accumulator. */
  readonly width: number;
  /** Object states per window (0: the view has no object measure and `MeasureStates` are never made). */
  readonly objects: number;
  empty(): Accumulator;
  /** The object states of no events; undefined when the view has none. */
  emptyStates(): MeasureStates | undefined;
  /** Folds one event into acc and states (mutates them: this is the hot path). */
  add(acc: Accumulator, e: Event, states?: MeasureStates): void;
  /** `add` for an accumulator stored flat in `accs` at `at`..`at + width - 1` (ViewState's pane table). */
  addAt(accs: Float64Array, at: number, e: Event, states?: MeasureStates): void;
  /** Folds src into target (mutates target). */
  mergeInto(target: Accumulator, src: Accumulator): void;
  /** Folds the object states `src` into `target` (mutates target; src is unchanged). */
  mergeStatesInto(target: MeasureStates, src: MeasureStates): void;
  /** A new accumulator, the combine of a and b. */
  merge(a: Accumulator, b: Accumulator): Accumulator;
  /** The stored form of object states: a JSON array of each kind's own stored form, in measure order. */
  encodeStates(states: MeasureStates): string;
  /** The object states of a stored form (fresh objects, safe to fold into); undefined when the view has none. Throws MeasureStateError on a form that is not this view's. */
  decodeStates(stored: string | undefined): MeasureStates | undefined;
  /** Measures by name: the scalar ops' slots as they are, the kinds' presentations. */
  named(acc: Accumulator, states?: MeasureStates): Record<string, MeasureResult>;
}

/** Where each measure of a view lives: its slot offset (fixed) or its index among the object states. */
interface Layout {
  readonly width: number;
  readonly objects: number;
  /** Per measure: the slot offset, or the object index. */
  readonly at: readonly number[];
  readonly kinds: readonly (FixedWidthKind<number, number | null> | ObjectKind | undefined)[];
  readonly isObject: readonly boolean[];
}

/** The layout of a view's measures (see Aggregate): scalar and fixed-width measures in slots, in order; object measures after. */
export function accumulatorLayout(measures: readonly Pick<CompiledMeasure, 'op' | 'k' | 'precision'>[]): Layout {
  let width = 0;
  let objects = 0;
  const at: number[] = [];
  const kinds: Layout['kinds'][number][] = [];
  const isObject: boolean[] = [];
  for (const m of measures) {
    const kind = measureKindOf(m);
    if (kind?.object) {
      at.push(objects++);
      kinds.push(kind.object);
      isObject.push(true);
    } else {
      at.push(width);
      width += kind?.fixed ? kind.fixed.width : 1;
      kinds.push(kind?.fixed);
      isObject.push(false);
    }
  }
  return { width, objects, at, kinds, isObject };
}

/** The stored form of object states (Aggregate.encodeStates): a JSON array of each kind's own stored form. */
function encodeStatesWith(kinds: readonly ObjectKind[], states: MeasureStates): string {
  return JSON.stringify(states.map((s, j) => kinds[j].encode(s)));
}

/**
 * The stored form of object states from the values the kinds' SQL twins returned (`DuckDb.all`
 * gives them; NULL is no events), in measure order: what a pane read from a batch file carries.
 * Undefined when the measures have no object kind.
 */
export function statesFromSql(measures: readonly Pick<CompiledMeasure, 'op' | 'k' | 'precision'>[], values: readonly unknown[]): string | undefined {
  const layout = accumulatorLayout(measures);
  if (layout.objects === 0) return undefined;
  const kinds = layout.kinds.filter((_, i) => layout.isObject[i]) as ObjectKind[];
  return encodeStatesWith(kinds, kinds.map((k, j) => k.sql.fromSql(values[j])));
}

/** Compiles a view's measures; `timeField` (the schema's event time) is what first and last order by. */
export function compileAggregate(measures: readonly CompiledMeasure[], timeField?: string): Aggregate {
  const layout = accumulatorLayout(measures);
  const { width, objects, at, kinds, isObject } = layout;
  const identity: number[] = [];
  for (let i = 0; i < measures.length; i++) {
    const m = measures[i];
    const kind = kinds[i];
    if (isObject[i]) continue;
    if (kind) {
      const s = new Array<number>(width);
      (kind as FixedWidthKind<number, number | null>).emptyAt(s, 0);
      for (let j = 0; j < (kind as FixedWidthKind<number, number | null>).width; j++) identity.push(s[j]);
    } else identity.push(identityOf(m.op as ScalarOp));
  }
  const scalar = measures.map((m, i) => (isScalarOp(m.op) ? at[i] : -1));
  const fixedMerges = measures.flatMap((_, i) => (!isObject[i] && kinds[i] ? [{ at: at[i], kind: kinds[i] as FixedWidthKind<number, number | null> }] : []));
  const objectKinds = measures.flatMap((_, i) => (isObject[i] ? [kinds[i] as ObjectKind] : []));
  const decode = (stored: string): MeasureStates => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(stored);
    } catch {
      throw new MeasureStateError('view', `a JSON array of ${objects} measure states`, stored);
    }
    if (!Array.isArray(parsed) || parsed.length !== objects) throw new MeasureStateError('view', `a JSON array of ${objects} measure states`, stored);
    return parsed.map((x, j) => objectKinds[j].decode(x));
  };
  const agg: Aggregate = {
    measures,
    width,
    objects,
    empty: () => identity.slice(),
    emptyStates: () => (objects === 0 ? undefined : objectKinds.map((k) => k.empty())),
    add: compileAdd(measures, layout, timeField, (i) => `${i}`, ['acc', 'e', 'st']) as Aggregate['add'],
    addAt: compileAdd(measures, layout, timeField, (i) => `at + ${i}`, ['acc', 'at', 'e', 'st']) as Aggregate['addAt'],
    mergeInto(target, src) {
      for (let i = 0; i < scalar.length; i++) if (scalar[i] >= 0) target[scalar[i]] = combine(measures[i].op as ScalarOp, target[scalar[i]], src[scalar[i]]);
      for (const f of fixedMerges) f.kind.mergeAt(target, f.at, src, f.at);
    },
    mergeStatesInto(target, src) {
      for (let j = 0; j < objects; j++) objectKinds[j].mergeInto(target[j], src[j]);
    },
    merge(a, b) {
      const out = a.slice();
      agg.mergeInto(out, b);
      return out;
    },
    encodeStates: (states) => encodeStatesWith(objectKinds, states),
    decodeStates(stored) {
      if (objects === 0) return undefined;
      if (stored === undefined) throw new MeasureStateError('view', `a JSON array of ${objects} measure states`, stored);
      return decode(stored);
    },
    named(acc, states) {
      const o: Record<string, MeasureResult> = {};
      for (let i = 0; i < measures.length; i++) {
        const kind = kinds[i];
        if (isObject[i]) {
          if (!states) throw new MeasureStateError(measures[i].op, 'present (the pane carries no object states)', states);
          o[measures[i].name] = (kind as ObjectKind).present(states[at[i]]) as MeasureResult;
        } else o[measures[i].name] = kind ? (kind as FixedWidthKind<number, number | null>).presentAt(acc, at[i]) : acc[at[i]];
      }
      return o;
    },
  };
  return agg;
}

/**
 * The per-event fold, generated as one straight-line function from the measures (the hot path:
 * a loop over per-measure closures runs several times slower); `offset` is where slot i lives in `acc`
 * (a number[] or a slice of a Float64Array), so both forms come from one rule. The scalar ops'
 * code comes only from `foldJs`, which escapes every name and literal of the definition
 * (expression-js.ts); the kinds' folds are calls of their own `addAt` / `add` (on `st`, the
 * object states), with the same rule for what contributes: the filter accepts the event and the
 * input is not null.
 */
function compileAdd(measures: readonly CompiledMeasure[], layout: Layout, timeField: string | undefined, offset: (i: number) => string, params: readonly string[]): (...args: never[]) => void {
  const lines = measures.map((m, i) => {
    const kind = layout.kinds[i];
    if (!kind) return foldJs(m, 'e', `acc[${offset(layout.at[i])}]`);
    if (timeField === undefined) throw new ConfigError(`measure ${m.name}: ${m.op} needs the schema's time field to be compiled`);
    const time = `e[${JSON.stringify(timeField)}]`;
    const call = layout.isObject[i] ? `K[${i}].add(st[${layout.at[i]}], v, ${time});` : `K[${i}].addAt(acc, ${offset(layout.at[i])}, v, ${time});`;
    const update = isNullable(m.input!) ? `{ const v = ${expressionJs(m.input!, 'e')}; if (v !== null) ${call} }` : `{ const v = ${expressionJs(m.input!, 'e')}; ${call} }`;
    return m.filter ? `if (${expressionJs(m.filter, 'e')}) ${update}` : update;
  });
  return new Function('K', `return function (${params.join(', ')}) {\n${lines.join('\n')}\n};`)(layout.kinds) as (...args: never[]) => void;
}
