import { expressionSql, sqlIdentifier, sqlLiteral } from '../shared/compute/expression/expression-sql.ts';
import { fieldsOf } from '../shared/compute/expression/expression.ts';
import { encodeKeySql } from '../shared/compute/key-encoding.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import { GLOBAL_KEY } from '../shared/compute/view-def.ts';

/** The column of the view events relation that carries a field a measure reads: `f_` and the (snake_case) name, no clash with key, bucket or event_time. */
export function measureFieldColumn(field: string): string {
  return `f_${field}`;
}

/**
 * SQL for the events a view reads, over a relation with the master dataset's columns and a
 * `bucket` column: the view's filter (`accepts`), its key (`keyOf`: key-encoding.ts's SQL twin,
 * or the constant GLOBAL_KEY) as a `key` column, the event time as `event_time`, and each field
 * its measures read as `measureFieldColumn`. `extraColumns` get the SQL of the time column.
 */
export function viewEventsSql(view: CompiledView, relation: string, extraColumns: (time: string) => readonly string[] = () => []): string {
  const fields = view.schema.fields;
  // A single text key is its column as is (no cast for DuckDB to evaluate per row).
  const key =
    view.keyFields.length === 0
      ? sqlLiteral(GLOBAL_KEY)
      : view.keyFields.length === 1 && (fields[view.keyFields[0]].type === 'string' || fields[view.keyFields[0]].type === 'enum')
        ? sqlIdentifier(view.keyFields[0])
        : encodeKeySql(view.keyFields.map(sqlIdentifier));
  const where = view.filter ? `WHERE ${expressionSql(view.filter)}` : '';
  const read = new Set<string>();
  for (const m of view.measures) {
    if (m.input) fieldsOf(m.input, read);
    if (m.filter) fieldsOf(m.filter, read);
  }
  const time = sqlIdentifier(view.schema.time);
  const measureColumns = [...read].map((f) => `${sqlIdentifier(f)} AS ${measureFieldColumn(f)}`);
  const columns = [`${key} AS key`, 'bucket', `${time} AS event_time`, ...measureColumns, ...extraColumns(time)];
  return `SELECT ${columns.join(', ')} FROM ${relation} ${where}`;
}
