import { sqlString } from '../infra/duckdb/duckdb-database.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import { GLOBAL_KEY } from '../shared/compute/view-def.ts';

/**
 * SQL for the events a view reads, over a relation with the master dataset's columns and a
 * `bucket` column: the view's event-type filter (`accepts`) and its key (`keyOf`, or the constant
 * GLOBAL_KEY) as a `key` column, next to the columns measures read.
 */
export function viewEventsSql(view: CompiledView, relation: string, extraColumns: readonly string[] = []): string {
  const field = view.def.keyField;
  const key = field === null ? sqlString(GLOBAL_KEY) : field;
  const types = view.def.eventTypes;
  const where = types ? `WHERE event_type IN (${types.map(sqlString).join(', ')})` : '';
  const columns = [`${key} AS key`, 'bucket', 'event_time', 'event_type', 'price_cents', 'quantity', ...extraColumns];
  return `SELECT ${columns.join(', ')} FROM ${relation} ${where}`;
}
