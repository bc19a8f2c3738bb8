import { combineSql, measureSql } from '../shared/compute/measure.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import { LkError } from '../shared/errors.ts';
import { measureFieldColumn } from './view-events-sql.ts';
import { HOUR_MS, partitionPath } from '../shared/time/bucket.ts';

/**
 * The batch views' files: one Parquet file of panes per run, view and bucket, at
 * `views/runs/<runId>/<view>/dt=YYYY-MM-DD/hour=HH/panes.parquet`; none when the view has no pane in
 * the bucket (the manifest lists each bucket's files per view, possibly none).
 *
 * Columns: `key` VARCHAR, `start`, `end`, `bucket` BIGINT (epoch ms), then one DOUBLE column per
 * measure, named after it, in the view's measure order. One column per measure rather than an
 * `acc DOUBLE[]` list: Parquet writes plain columns several times faster than lists, and the files
 * read on their own (`SELECT key, revenue_cents FROM '…/panes.parquet'`). Readers rebuild the
 * accumulator from the columns in the order the manifest lists.
 */
export const VIEWS_PREFIX = 'views/';
export const RUNS_PREFIX = `${VIEWS_PREFIX}runs/`;

/** The key of one view's pane file for one bucket of a run (`part` > 0 when DuckDB split the output). */
export function paneFileKey(runId: string, view: string, bucket: number, part = 0): string {
  // Sub-hour buckets share an hour directory; the minute tells them apart.
  const minute = bucket % HOUR_MS === 0 ? '' : `-m${new Date(bucket).toISOString().slice(14, 16)}`;
  return `${RUNS_PREFIX}${runId}/${view}/${partitionPath(bucket)}/panes${minute}${part > 0 ? `-${part}` : ''}.parquet`;
}

/** The run a key under views/runs/ belongs to. */
export function runIdOfKey(key: string): string | undefined {
  if (!key.startsWith(RUNS_PREFIX)) return undefined;
  const end = key.indexOf('/', RUNS_PREFIX.length);
  return end < 0 ? undefined : key.slice(RUNS_PREFIX.length, end);
}

/** The columns of a pane file of a view with these measures, with their DuckDB types, in file order. */
export function paneFileColumns(measures: readonly { readonly name: string }[]): readonly (readonly [name: string, type: string])[] {
  return [['key', 'VARCHAR'], ['start', 'BIGINT'], ['end', 'BIGINT'], ['bucket', 'BIGINT'], ...measures.map((m) => [m.name, 'DOUBLE'] as const)];
}

/** The measure columns of a pane file, quoted, in measure order. */
export function measureColumns(view: string, measures: readonly { readonly name: string }[]): string[] {
  const names = measures.map((m) => m.name);
  if (new Set(names).size !== names.length) {
    throw new LkError(`view "${view}" has two measures with one name (${names.join(', ')}): give each measure its own name`);
  }
  return names.map(quoteIdentifier);
}

/**
 * The view's measures as SQL aggregates over events (`measureSql`), named `m0, m1, ...`: partials
 * that `mergedMeasuresSql` merges. Internal names, so no measure name can clash with a column of
 * the query.
 */
export function partialMeasuresSql(view: CompiledView): string {
  return view.measures.map((m, i) => `${measureSql(m, measureFieldColumn)} AS m${i}`).join(', ');
}

/** Merges the partials of `partialMeasuresSql` (`combineSql`), named as the pane file's columns. */
export function mergedMeasuresSql(view: CompiledView): string {
  const columns = measureColumns(view.name, view.measures);
  return view.measures.map((m, i) => `${combineSql(m, `m${i}`)} AS ${columns[i]}`).join(', ');
}

/**
 * The partials of `partialMeasuresSql` named as the pane file's columns, unmerged: for panes made
 * of exactly one partial (a tumbling window's single pane, a session alone in its bucket's one
 * slot), where merging would only copy the values and costs a second aggregation.
 */
export function partialColumnsSql(view: CompiledView): string {
  const columns = measureColumns(view.name, view.def.measures);
  return view.def.measures.map((_, i) => `m${i} AS ${columns[i]}`).join(', ');
}

/** SQL that rebuilds the accumulator (`acc`) from a pane file's measure columns. */
export function accumulatorSql(view: string, measures: readonly { readonly name: string }[]): string {
  return `[${measureColumns(view, measures).join(', ')}]::DOUBLE[]`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
