import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import { forEachWindowStart, paneStartSql, slideOf } from '../shared/time/fixed-window.ts';
import { alignDown, type FixedWindowSpec } from '../shared/time/window.ts';
import { mergedMeasuresSql, partialMeasuresSql } from './pane-file.ts';
import { viewEventsSql } from './view-events-sql.ts';

const WINDOW_MAP_TABLE = 'batch_window_map';

/**
 * Rows (pane start, window start, window end) for every pane an event of the buckets can fall in.
 * Every time inside one slide-aligned pane belongs to the same windows, so `forEachWindowStart`
 * (the function the speed layer calls per event) runs once per pane here: at most
 * bucketMs / slide times per bucket, whatever the number of events.
 */
export function windowMapRows(spec: FixedWindowSpec, buckets: readonly number[], bucketMs: number): number[][] {
  const slide = slideOf(spec);
  const panes = new Set<number>();
  for (const bucket of buckets) for (let pane = alignDown(bucket, slide); pane < bucket + bucketMs; pane += slide) panes.add(pane);
  const rows: number[][] = [];
  for (const pane of panes) forEachWindowStart(spec, pane, (start) => rows.push([pane, start, start + spec.sizeMs]));
  return rows;
}

/**
 * Prepares the window map of the buckets and returns the SELECT of the view's panes for them
 * (tumbling and sliding windows) over `events` (a relation with the master columns and `bucket`).
 * DuckDB first aggregates the events per (key, bucket, pane) with the view's `measureSql` (no
 * more rows than panes come out, whatever the number of events), then each pane's partial joins
 * the windows of its pane (`paneStartSql`) and partials of one window merge with `combineSql`:
 * a sliding window of n panes costs n partials, not n copies of every event. The window rule and
 * the measures are the shared ones; no JavaScript runs per event or per pane row.
 */
export async function fixedWindowPanesSql(db: DuckDb, view: CompiledView, spec: FixedWindowSpec, events: string, buckets: readonly number[], bucketMs: number): Promise<string> {
  await db.run(`CREATE OR REPLACE TEMP TABLE ${WINDOW_MAP_TABLE} (pane_start BIGINT, window_start BIGINT, window_end BIGINT)`);
  await db.append(WINDOW_MAP_TABLE, windowMapRows(spec, buckets, bucketMs));
  const paneEvents = viewEventsSql(view, events, [`${paneStartSql(spec, 'event_time')} AS pane_start`]);
  const partials = `SELECT key, bucket, pane_start, ${partialMeasuresSql(view)} FROM (${paneEvents}) GROUP BY key, bucket, pane_start`;
  return `SELECT key, window_start AS start, window_end AS "end", bucket, ${mergedMeasuresSql(view)}
    FROM (${partials}) JOIN ${WINDOW_MAP_TABLE} USING (pane_start)
    GROUP BY key, window_start, window_end, bucket`;
}

/** Drops the window map. */
export async function dropWindowMap(db: DuckDb): Promise<void> {
  await db.run(`DROP TABLE IF EXISTS ${WINDOW_MAP_TABLE}`);
}
