import { ConfigError } from '../errors.ts';
import type { FieldSpecs } from '../model/event-schema.ts';
import { isNullable, type Expr } from './expression/expression.ts';
import { expressionJs } from './expression/expression-js.ts';
import { expressionSql } from './expression/expression-sql.ts';
import { parseExpression } from './expression/parse-expression.ts';
import { resolveExpression } from './expression/resolve-expression.ts';

/**
 * A measure is one mergeable number of an aggregate: count, sum, min or max of an input (a
 * numeric field or an arithmetic expression over numeric fields, `price * quantity`), optionally
 * only over the events a filter accepts. Measures are data, so the same definition compiles to a
 * JS fold (speed, replay, merges) and to SQL (the batch layer's DuckDB pre-aggregation) and no
 * rule is written twice. A sum over decimals is in their scaled units (cents for scale 2).
 */
export type MeasureOp = 'count' | 'sum' | 'min' | 'max';

export interface Measure {
  readonly name: string;
  readonly op: MeasureOp;
  /** An expression in the filter language; not used by `count`. */
  readonly input?: string;
  /** Only events this condition accepts contribute. */
  readonly filter?: string;
}

/** A measure with its input and filter parsed and resolved against the schema: what the fold, the SQL and the truth read. */
export interface CompiledMeasure {
  readonly name: string;
  readonly op: MeasureOp;
  readonly input?: Expr;
  readonly filter?: Expr;
}

const OPS: ReadonlySet<string> = new Set(['count', 'sum', 'min', 'max']);

/** Parses and checks a measure's expressions; a ConfigError names the view and the measure. */
export function compileMeasure(m: Measure, fields: FieldSpecs, view: string): CompiledMeasure {
  const where = `view ${view}, measure ${m.name}`;
  if (!/^[a-z][a-z0-9_]*$/.test(m.name)) throw new ConfigError(`${where}: a measure name must be snake_case`);
  if (!OPS.has(m.op)) throw new ConfigError(`${where}: op must be count, sum, min or max, got ${String(m.op)}`);
  let input: Expr | undefined;
  if (m.op === 'count') {
    if (m.input !== undefined) throw new ConfigError(`${where}: count takes no input (use a filter to count some events)`);
  } else {
    if (m.input === undefined) throw new ConfigError(`${where}: ${m.op} needs an input (a numeric field or expression)`);
    const r = resolveExpression(parseExpression(m.input, `${where}, input`), fields, `${where}, input`);
    if (r.type.type !== 'number') throw new ConfigError(`${where}: the input must be numeric, ${m.input} is a ${r.type.type}`);
    input = r.expr;
  }
  let filter: Expr | undefined;
  if (m.filter !== undefined) {
    const r = resolveExpression(parseExpression(m.filter, `${where}, filter`), fields, `${where}, filter`);
    if (r.type.type !== 'boolean') throw new ConfigError(`${where}: the filter must be a condition, ${m.filter} is a ${r.type.type}`);
    filter = r.expr;
  }
  return { name: m.name, op: m.op, input, filter };
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

/**
 * JS statements folding one event (variable `e`) into the measure's slot `a` (an lvalue): the
 * generated twin of `combine` over what the event contributes. An event the filter refuses, or
 * whose input is null, contributes nothing.
 */
export function foldJs(m: CompiledMeasure, e: string, a: string): string {
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
export function measureSql(m: CompiledMeasure, column?: (field: string) => string): string {
  const filter = m.filter && expressionSql(m.filter, column);
  let sql: string;
  if (m.op === 'count') sql = filter ? `count(CASE WHEN ${filter} THEN 1 END)` : 'count(*)';
  else {
    const input = expressionSql(m.input!, column);
    sql = `${m.op}(${filter ? `CASE WHEN ${filter} THEN ${input} END` : input})`;
  }
  // SQL sum/min/max of no rows is NULL; the fold's identity is 0 / +inf / -inf.
  const id = identityOf(m.op);
  const idSql = id === 0 ? '0' : id > 0 ? "'Infinity'::DOUBLE" : "'-Infinity'::DOUBLE";
  return `coalesce(${sql}::DOUBLE, ${idSql})`;
}

/**
 * SQL aggregate merging partial values of a measure (a column of `measureSql` results): the SQL
 * twin of `combine`, so DuckDB can pre-aggregate finely (per pane, per session slot) and merge.
 */
export function combineSql(m: CompiledMeasure, column: string): string {
  return `${m.op === 'min' ? 'min' : m.op === 'max' ? 'max' : 'sum'}(${column})`;
}
