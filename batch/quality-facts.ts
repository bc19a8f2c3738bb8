import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import { sqlIdentifier } from '../shared/compute/expression/expression-sql.ts';
import { combineSql } from '../shared/compute/measure.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { paneFileColumns } from './pane-file.ts';
import { parquetSource } from './parquet-source.ts';
import type { MeasureDrift, StoredPaneFile } from './quality-gate.ts';

/**
 * What the quality gate (quality-gate.ts) judges, read back by DuckDB from the object store: the
 * runner's half of the gate, so the checks stay pure. Files are read as stored, not as written,
 * so a store or writer that loses or damages a file is seen.
 */

/** Pane rows of a local Parquet file (from its footer). */
export async function parquetRows(db: DuckDb, localFile: string): Promise<number> {
  const [r] = await db.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${parquetSource([localFile])}`);
  return Number(r?.n ?? 0);
}

/** Reads one stored pane file back: its columns and, when they are the pane file's, the ranges and measure statistics the checks need. */
export async function storedPaneFile(db: DuckDb, objects: ObjectStore, view: CompiledView, key: string, written: number): Promise<StoredPaneFile> {
  let path: string;
  try {
    path = await objects.localPath(key);
  } catch (err) {
    return { key, written, problem: `not readable from the object store (${(err as Error).message})` };
  }
  const source = parquetSource([path]);
  let columns: [string, string][];
  try {
    columns = (await db.all<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM ${source}`)).map((c) => [c.column_name, c.column_type]);
  } catch (err) {
    return { key, written, problem: `not a readable Parquet file (${(err as Error).message.split('\n')[0]})` };
  }
  const expected = paneFileColumns(view.measures);
  if (columns.length !== expected.length || columns.some(([n, t], i) => n !== expected[i][0] || t !== expected[i][1])) {
    const [r] = await db.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${source}`);
    return { key, written, columns, rows: Number(r.n) };
  }
  const measures = view.measures.map((m, i) => {
    const c = sqlIdentifier(m.name);
    // Identities (±Infinity: a min or max no event reached) are not values below 0.
    return `count(*) FILTER (WHERE ${c} IS NULL OR isnan(${c})) AS n${i}, min(${c}) FILTER (WHERE NOT isinf(${c}) AND NOT isnan(${c})) AS v${i}`;
  });
  const [r] = await db.all<Record<string, bigint | number | null>>(`SELECT count(*) AS rows,
      count(*) FILTER (WHERE key IS NULL OR start IS NULL OR "end" IS NULL OR bucket IS NULL) AS null_bounds,
      min(bucket) AS b0, max(bucket) AS b1, min(start) AS s0, max(start) AS s1, min("end") AS e0, max("end") AS e1,
      ${measures.join(', ')}
    FROM ${source}`);
  const num = (v: bigint | number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  const range = (min: bigint | number | null | undefined, max: bigint | number | null | undefined) => (num(min) === null ? undefined : { min: num(min)!, max: num(max)! });
  return {
    key,
    written,
    columns,
    rows: num(r.rows)!,
    nullBounds: num(r.null_bounds)!,
    bucket: range(r.b0, r.b1),
    start: range(r.s0, r.s1),
    end: range(r.e0, r.e1),
    measures: Object.fromEntries(view.measures.map((m, i) => [m.name, { nulls: num(r[`n${i}`])!, min: num(r[`v${i}`]) }])),
  };
}

/**
 * Per measure, the largest relative change of a window's part in the hour between the published
 * pane files (`before`) and the new ones (`after`), and where it is: |new - old| / max(|old|, 1),
 * Infinity where a published window is gone or an identity (±Infinity) became a value or back.
 * Fixed windows are matched by key and start; sessions, whose starts move when an event arrives
 * before them, by key, over the hour's fragments merged. Windows only the new files have (late
 * events) are no drift. Only call with files whose columns passed the schema check.
 */
export async function paneDrift(db: DuckDb, objects: ObjectStore, view: CompiledView, before: readonly string[], after: readonly string[]): Promise<MeasureDrift[]> {
  if (before.length === 0) return [];
  const read = async (keys: readonly string[]) => parquetSource(await Promise.all(keys.map((k) => objects.localPath(k))));
  const session = view.def.window.kind === 'session';
  const group = session ? 'key' : 'key, start';
  const merged = (source: string) =>
    `SELECT key, ${session ? 'min(start)' : 'start'} AS start, ${view.measures.map((m, i) => `${combineSql(m, sqlIdentifier(m.name))} AS m${i}`).join(', ')} FROM ${source} GROUP BY ${group}`;
  const old = merged(await read(before));
  // No new file: every published window is gone.
  const fresh = after.length === 0 ? `SELECT * FROM (${old}) WHERE false` : merged(await read(after));
  const change = (i: number) =>
    `CASE WHEN n.key IS NULL THEN 'Infinity'::DOUBLE WHEN n.m${i} = o.m${i} THEN 0 WHEN isinf(n.m${i}) OR isinf(o.m${i}) OR n.m${i} IS NULL OR o.m${i} IS NULL THEN 'Infinity'::DOUBLE ELSE abs(n.m${i} - o.m${i}) / greatest(abs(o.m${i}), 1) END`;
  const on = session ? 'n.key = o.key' : 'n.key = o.key AND n.start = o.start';
  const rows = await db.all<Record<string, number | bigint | string | null>>(`WITH o AS (${old}), n AS (${fresh}), d AS (
      SELECT o.key, o.start, ${view.measures.map((_, i) => `${change(i)} AS d${i}`).join(', ')} FROM o LEFT JOIN n ON ${on})
    SELECT ${view.measures.map((_, i) => `max(d${i}) AS c${i}, arg_max(key, d${i}) AS k${i}, arg_max(start, d${i}) AS s${i}`).join(', ')} FROM d`);
  const r = rows[0];
  return view.measures.map((m, i) => ({ measure: m.name, change: Number(r[`c${i}`] ?? 0), key: String(r[`k${i}`] ?? ''), start: Number(r[`s${i}`] ?? 0) }));
}
