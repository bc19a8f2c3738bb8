import { accumulatorLayout } from '../shared/compute/aggregate.ts';
import { combineSql, measureSql, type CompiledMeasure } from '../shared/compute/measure.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import { LkError } from '../shared/errors.ts';
import { measureFieldColumn } from './view-events-sql.ts';
import { HOUR_MS, partitionPath } from '../shared/time/bucket.ts';

/**
 * The batch views' files: one Parquet file of panes per run, view and bucket, at
 * `views/runs/<runId>/<view>/dt=YYYY-MM-DD/hour=HH/panes.parquet`; none when the view has no pane in
 * the bucket (the manifest lists each bucket's files per view, possibly none).
 *
 * Columns: `key` VARCHAR, `start`, `end`, `bucket` BIGINT (epoch ms), then one column per
 * measure, named after it, in the view's measure order: a DOUBLE for count, sum, min and max; the
 * state of the other kinds as their SQL twin returns it (DOUBLE[] of [sum, count] for avg and of
 * [time, value] for first and last, the LIST of values of count_distinct, the INTEGER[] of packed
 * registers of count_distinct_hll, the MAP(value, count) of top_k). One column per measure rather
 * than an `acc DOUBLE[]` list: Parquet writes plain columns several times faster than lists, and
 * the files read on their own (`SELECT key, revenue_cents FROM '…/panes.parquet'`). Readers
 * rebuild the accumulator (`accumulatorSql`) and the object states (`statesColumnsSql`) from the
 * columns in the order the manifest lists.
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

/**
 * The columns of a pane file of a view with these measures, with their DuckDB types, in file
 * order: DOUBLE for count, sum, min and max, DOUBLE[] for avg, first and last; `*` (any: the
 * kind's SQL state, whose type follows the input's) for count_distinct, count_distinct_hll and top_k.
 */
export function paneFileColumns(measures: readonly StoredMeasure[]): readonly (readonly [name: string, type: string])[] {
  const layout = accumulatorLayout(measures);
  const typeOf = (i: number) => (layout.isObject[i] ? ANY_COLUMN_TYPE : layout.kinds[i] ? 'DOUBLE[]' : 'DOUBLE');
  return [['key', 'VARCHAR'], ['start', 'BIGINT'], ['end', 'BIGINT'], ['bucket', 'BIGINT'], ...measures.map((m, i) => [m.name, typeOf(i)] as const)];
}

/** The type of a `paneFileColumns` column that any type matches. */
export const ANY_COLUMN_TYPE = '*';

/** Whether a column's DuckDB type is the one `paneFileColumns` expects. */
export function columnTypeMatches(expected: string, actual: string): boolean {
  return expected === ANY_COLUMN_TYPE || expected === actual;
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

type StoredMeasure = Pick<CompiledMeasure, 'name' | 'op' | 'k' | 'precision'>;

/** SQL that rebuilds the accumulator (`acc`, its slots) from a pane file's measure columns. */
export function accumulatorSql(view: string, measures: readonly StoredMeasure[]): string {
  const columns = measureColumns(view, measures);
  const layout = accumulatorLayout(measures);
  const slots = measures.flatMap((_, i) => {
    if (layout.isObject[i]) return [];
    const kind = layout.kinds[i] as { readonly width: number } | undefined;
    // A fixed-width kind's column is a list of its slots (1-based in SQL).
    return kind ? Array.from({ length: kind.width }, (_, j) => `${columns[i]}[${j + 1}]`) : [columns[i]];
  });
  return `[${slots.join(', ')}]::DOUBLE[]`;
}

/** The object measures' columns of a pane file, as `s0, s1, ...` (for `statesFromSql`); empty when the view has none. */
export function statesColumnsSql(view: string, measures: readonly StoredMeasure[]): string[] {
  const columns = measureColumns(view, measures);
  const layout = accumulatorLayout(measures);
  return measures.flatMap((_, i) => (layout.isObject[i] ? [`${columns[i]} AS s${layout.at[i]}`] : []));
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
