import type { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { expressionSql, sqlIdentifier } from '../../../shared/compute/expression/expression-sql.ts';
import { encodeKeySql } from '../../../shared/compute/key-encoding.ts';
import { measureSql } from '../../../shared/compute/measure.ts';
import { paneIdString, type Pane } from '../../../shared/compute/pane.ts';
import type { CompiledView, Pipeline } from '../../../shared/compute/pipeline.ts';
import { GLOBAL_KEY } from '../../../shared/compute/view-def.ts';
import { bucketSql } from '../../../shared/time/bucket.ts';
import { forEachWindowStart, paneStartSql } from '../../../shared/time/fixed-window.ts';
import { sessionNumberSql } from '../../../shared/time/session-window.ts';

/**
 * A view's panes computed the way the batch layer is meant to: DuckDB pre-aggregates the event
 * table with the transform's SQL twins (bucket by `bucketSql`, pane start by `paneStartSql`, sessions by
 * `sessionNumberSql`, measures by `measureSql`), then fixed-window panes are spread over their
 * windows with `forEachWindowStart`. If the twins agree with the JS rules this equals `foldEvents`.
 */
export async function sqlPanes(db: DuckDb, pipeline: Pipeline, view: CompiledView, table: string): Promise<Pane[]> {
  const def = view.def;
  const key = view.keyFields.length === 0 ? `'${GLOBAL_KEY}'` : encodeKeySql(view.keyFields.map(sqlIdentifier));
  const bucket = bucketSql('event_time', pipeline.config.bucketMs);
  const filter = view.filter ? `WHERE ${expressionSql(view.filter)}` : '';
  const measures = view.measures.map((m, i) => `${measureSql(m)} AS m${i}`).join(', ');
  const keyed = `(SELECT *, ${key} AS key, ${bucket} AS bucket FROM ${table} ${filter})`;
  const accOf = (row: Record<string, unknown>) => def.measures.map((_, i) => row[`m${i}`] as number);

  const w = def.window;
  if (w.kind === 'session') {
    const rows = await db.all(
      `SELECT key, bucket, min(event_time) AS start, max(event_time) + ${w.gapMs} AS "end", ${measures}
       FROM (${sessionNumberSql(w, keyed)}) GROUP BY key, bucket, session_no`,
    );
    return rows.map((r) => ({ view: view.name, key: r.key as string, start: Number(r.start), end: Number(r.end), bucket: Number(r.bucket), acc: accOf(r) }));
  }
  const rows = await db.all(`SELECT key, bucket, ${paneStartSql(w, 'event_time')} AS pane, ${measures} FROM ${keyed} GROUP BY ALL`);
  const panes = new Map<string, Pane>();
  for (const r of rows) {
    const acc = accOf(r);
    const k = r.key as string;
    const b = Number(r.bucket);
    forEachWindowStart(w, Number(r.pane), (start) => {
      const id = paneIdString({ view: view.name, key: k, start, bucket: b });
      const pane = panes.get(id);
      if (pane) view.aggregate.mergeInto(pane.acc, acc);
      else panes.set(id, { view: view.name, key: k, start, end: start + w.sizeMs, bucket: b, acc: acc.slice() });
    });
  }
  return [...panes.values()];
}
