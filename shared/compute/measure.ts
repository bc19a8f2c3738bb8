import type { Event, EventType } from '../model/event.ts';

/**
 * A measure is one mergeable number of an aggregate: count, sum, min or max of an input, optionally
 * only over one event type. Measures are data, so the same definition compiles to a JS fold (speed,
 * replay, merges) and to SQL (the batch layer's DuckDB pre-aggregation) and no rule is written twice.
 */
export type MeasureOp = 'count' | 'sum' | 'min' | 'max';
export type MeasureInput = 'amount_cents' | 'quantity' | 'event_time';

export interface Measure {
  readonly name: string;
  readonly op: MeasureOp;
  /** Not used by `count`. */
  readonly input?: MeasureInput;
  /** Only events of this type contribute. */
  readonly when?: EventType;
}

/** The identity of each op: merging it changes nothing. */
export function identityOf(op: MeasureOp): number {
  return op === 'min' ? Number.POSITIVE_INFINITY : op === 'max' ? Number.NEGATIVE_INFINITY : 0;
}

/** The associative, commutative combine of two values of one measure. */
export function combine(op: MeasureOp, a: number, b: number): number {
  switch (op) {
    case 'count':
    case 'sum':
      return a + b;
    case 'min':
      return a < b ? a : b;
    case 'max':
      return a > b ? a : b;
  }
}

/** The value one event contributes to a measure (its identity when the event does not count). */
export function contributionOf(m: Measure): (e: Event) => number {
  const id = identityOf(m.op);
  const value: (e: Event) => number =
    m.op === 'count'
      ? () => 1
      : m.input === 'amount_cents'
        ? (e) => e.price_cents * e.quantity
        : m.input === 'quantity'
          ? (e) => e.quantity
          : (e) => e.event_time;
  if (!m.when) return value;
  const when = m.when;
  return (e) => (e.event_type === when ? value(e) : id);
}

/** JS expression (over the event variable `e`) of what one event contributes: the source twin of `contributionOf`, for generated code. */
export function contributionJs(m: Measure, e: string): string {
  const id = identityOf(m.op);
  const value =
    m.op === 'count' ? '1' : m.input === 'amount_cents' ? `(${e}.price_cents * ${e}.quantity)` : m.input === 'quantity' ? `${e}.quantity` : `${e}.event_time`;
  if (!m.when) return value;
  const idJs = id === 0 ? '0' : id > 0 ? 'Infinity' : '-Infinity';
  return `(${e}.event_type === ${JSON.stringify(m.when)} ? ${value} : ${idJs})`;
}

/** SQL aggregate expression of a measure over the master dataset's columns; the SQL twin of `contributionOf` + `combine`. */
export function measureSql(m: Measure): string {
  const input =
    m.op === 'count' ? '1' : m.input === 'amount_cents' ? '(price_cents * quantity)' : m.input === 'quantity' ? 'quantity' : 'event_time';
  const filtered = m.when ? `CASE WHEN event_type = '${m.when}' THEN ${input} END` : input;
  const fn = m.op === 'count' ? 'count' : m.op;
  const sql = m.op === 'count' ? `count(${m.when ? filtered : '*'})` : `${fn}(${filtered})`;
  // SQL sum/min/max of no rows is NULL; the fold's identity is 0 / +inf / -inf.
  const id = identityOf(m.op);
  const idSql = id === 0 ? '0' : id > 0 ? "'Infinity'::DOUBLE" : "'-Infinity'::DOUBLE";
  return `coalesce(${sql}::DOUBLE, ${idSql})`;
}

/**
 * SQL aggregate merging partial values of a measure (a column of `measureSql` results): the SQL
 * twin of `combine`, so DuckDB can pre-aggregate finely (per pane, per session slot) and merge.
 */
export function combineSql(m: Measure, column: string): string {
  return `${m.op === 'min' ? 'min' : m.op === 'max' ? 'max' : 'sum'}(${column})`;
}
