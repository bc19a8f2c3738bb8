import { ConfigError } from '../errors.ts';
import type { FieldSpecs } from '../model/event-schema.ts';
import { isNullable, type Expr } from './expression/expression.ts';
import { expressionJs } from './expression/expression-js.ts';
import { expressionSql } from './expression/expression-sql.ts';
import { parseExpression } from './expression/parse-expression.ts';
import { resolveExpression } from './expression/resolve-expression.ts';
import { measureKindOf } from './measure-kind-of.ts';

/**
 * A measure is one mergeable value of an aggregate over an input (a field or an arithmetic
 * expression over numeric fields, `price * quantity`), optionally only over the events a filter
 * accepts. `count`, `sum`, `min` and `max` are one double each, folded by generated code (the hot
 * path); the other ops are the measure kinds of measures/ (`measure-kind-of.ts`): `avg`, `first`
 * and `last` (by event time) in two doubles, `count_distinct`, `count_distinct_hll` and `top_k`
 * with a state of their own (a set, HyperLogLog registers, counts). Measures are data, so the same
 * definition compiles to a JS fold (speed, replay, merges) and to SQL (the batch layer's DuckDB
 * pre-aggregation) and no rule is written twice. A sum over decimals is in their scaled units
 * (cents for scale 2).
 */
export type MeasureOp = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'first' | 'last' | 'count_distinct' | 'count_distinct_hll' | 'top_k';

export interface Measure {
  readonly name: string;
  readonly op: MeasureOp;
  /** An expression in the filter language; not used by `count`. */
  readonly input?: string;
  /** Only events this condition accepts contribute. */
  readonly filter?: string;
  /** `top_k` only: how many values to show. */
  readonly k?: number;
  /** `count_distinct_hll` only: 2^precision registers, 4 to 16 (default 12, 1.6% standard error). */
  readonly precision?: number;
}

/** A measure with its input and filter parsed and resolved against the schema: what the fold, the SQL and the truth read. */
export interface CompiledMeasure {
  readonly name: string;
  readonly op: MeasureOp;
  readonly input?: Expr;
  readonly filter?: Expr;
  readonly k?: number;
  readonly precision?: number;
}

/** The ops of one double each, folded by generated code. */
export type ScalarOp = 'count' | 'sum' | 'min' | 'max';

const SCALAR_OPS: ReadonlySet<string> = new Set<ScalarOp>(['count', 'sum', 'min', 'max']);
const OPS: ReadonlySet<string> = new Set<MeasureOp>(['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'count_distinct', 'count_distinct_hll', 'top_k']);
/** Ops whose input must be a number; the others tell values of any type apart. */
const NUMERIC_INPUT: ReadonlySet<string> = new Set<MeasureOp>(['sum', 'min', 'max', 'avg', 'first', 'last']);

/** Whether an op is one of the four folded in a single double by generated code. */
export function isScalarOp(op: MeasureOp): op is ScalarOp {
  return SCALAR_OPS.has(op);
}

/** Parses and checks a measure's expressions; a ConfigError names the view and the measure. */
export function compileMeasure(m: Measure, fields: FieldSpecs, view: string): CompiledMeasure {
  const where = `view ${view}, measure ${m.name}`;
  if (!/^[a-z][a-z0-9_]*$/.test(m.name)) throw new ConfigError(`${where}: a measure name must be snake_case`);
  if (!OPS.has(m.op)) throw new ConfigError(`${where}: op must be one of ${[...OPS].join(', ')}, got ${String(m.op)}`);
  if (m.op === 'top_k') {
    if (m.k === undefined) throw new ConfigError(`${where}: top_k needs k, how many values to show (e.g. k: 5)`);
    if (!Number.isInteger(m.k) || m.k < 1 || m.k > 1000) throw new ConfigError(`${where}: top_k's k must be a whole number from 1 to 1000, got ${String(m.k)}`);
  } else if (m.k !== undefined) throw new ConfigError(`${where}: k is for top_k only (this measure is ${m.op})`);
  if (m.op === 'count_distinct_hll') {
    if (m.precision !== undefined && !(Number.isInteger(m.precision) && m.precision >= 4 && m.precision <= 16)) {
      throw new ConfigError(`${where}: count_distinct_hll's precision must be a whole number from 4 to 16 (2^p registers; 12, the default, gives 1.6% standard error), got ${String(m.precision)}`);
    }
  } else if (m.precision !== undefined) throw new ConfigError(`${where}: precision is for count_distinct_hll only (this measure is ${m.op})`);
  let input: Expr | undefined;
  if (m.op === 'count') {
    if (m.input !== undefined) throw new ConfigError(`${where}: count takes no input (use a filter to count some events)`);
  } else {
    const numeric = NUMERIC_INPUT.has(m.op);
    if (m.input === undefined) throw new ConfigError(`${where}: ${m.op} needs an input (${numeric ? 'a numeric field or expression' : 'a field or expression'})`);
    const r = resolveExpression(parseExpression(m.input, `${where}, input`), fields, `${where}, input`);
    if (numeric && r.type.type !== 'number') throw new ConfigError(`${where}: the input must be numeric for ${m.op}, ${m.input} is a ${r.type.type}`);
    input = r.expr;
  }
  let filter: Expr | undefined;
  if (m.filter !== undefined) {
    const r = resolveExpression(parseExpression(m.filter, `${where}, filter`), fields, `${where}, filter`);
    if (r.type.type !== 'boolean') throw new ConfigError(`${where}: the filter must be a condition, ${m.filter} is a ${r.type.type}`);
    filter = r.expr;
  }
  const out: CompiledMeasure = { name: m.name, op: m.op, input, filter };
  if (m.op === 'top_k') return { ...out, k: m.k };
  if (m.op === 'count_distinct_hll' && m.precision !== undefined) return { ...out, precision: m.precision };
  return out;
}

/** The identity of each scalar op: merging it changes nothing. */
export function identityOf(op: ScalarOp): number {
  return op === 'min' ? Number.POSITIVE_INFINITY : op === 'max' ? Number.NEGATIVE_INFINITY : 0;
}

/** The associative, commutative combine of two values of one scalar measure. */
export function combine(op: ScalarOp, a: number, b: number): number {
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

/**
 * JS statements folding one event (variable `e`) into the measure's slot `a` (an lvalue): the
 * generated twin of `combine` over what the event contributes. An event the filter refuses, or
 * whose input is null, contributes nothing.
 */
export function foldJs(m: CompiledMeasure, e: string, a: string): string {
  if (!isScalarOp(m.op)) throw new TypeError(`foldJs folds the scalar ops only, not ${m.op}`);
  // A filtered count adds 0 or 1 without a branch: event types come in random order.
  if (m.op === 'count') return m.filter ? `${a} += ${expressionJs(m.filter, e)} ? 1 : 0;` : `${a} += 1;`;
  let update: string;
  {
    const v = expressionJs(m.input!, e);
    const apply = m.op === 'min' ? `if (v < ${a}) ${a} = v;` : m.op === 'max' ? `if (v > ${a}) ${a} = v;` : `${a} += v;`;
    update = isNullable(m.input!) ? `{ const v = ${v}; if (v !== null) { ${apply} } }` : `{ const v = ${v}; ${apply} }`;
  }
  return m.filter ? `if (${expressionJs(m.filter, e)}) ${update}` : update;
}

/**
 * SQL aggregate expression of a measure over a relation whose columns `column` names (quoted
 * fields by default): the SQL twin of `foldJs`. SQL aggregates skip NULL, as the fold skips a null input.
 */
export function measureSql(m: CompiledMeasure, column?: (field: string) => string, time = 'event_time'): string {
  const filter = m.filter && expressionSql(m.filter, column);
  const kind = measureKindOf(m);
  if (kind) {
    // The kinds' twins skip rows whose input is NULL, so a refused event contributes nothing.
    const input = expressionSql(m.input!, column);
    return (kind.fixed ?? kind.object).sql.state(filter ? `CASE WHEN ${filter} THEN ${input} END` : input, time);
  }
  let sql: string;
  if (m.op === 'count') sql = filter ? `count(CASE WHEN ${filter} THEN 1 END)` : 'count(*)';
  else {
    const input = expressionSql(m.input!, column);
    sql = `${m.op}(${filter ? `CASE WHEN ${filter} THEN ${input} END` : input})`;
  }
  // SQL sum/min/max of no rows is NULL; the fold's identity is 0 / +inf / -inf.
  const id = identityOf(m.op as ScalarOp);
  const idSql = id === 0 ? '0' : id > 0 ? "'Infinity'::DOUBLE" : "'-Infinity'::DOUBLE";
  return `coalesce(${sql}::DOUBLE, ${idSql})`;
}

/**
 * SQL aggregate merging partial values of a measure (a column of `measureSql` results): the SQL
 * twin of `combine`, so DuckDB can pre-aggregate finely (per pane, per session slot) and merge.
 */
export function combineSql(m: CompiledMeasure, column: string): string {
  const kind = measureKindOf(m);
  if (kind) return (kind.fixed ?? kind.object).sql.merge(column);
  return `${m.op === 'min' ? 'min' : m.op === 'max' ? 'max' : 'sum'}(${column})`;
}
