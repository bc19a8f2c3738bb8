import type { CompiledView } from '../shared/compute/pipeline.ts';
import { reachOf } from '../shared/time/window.ts';
import { paneFileColumns } from './pane-file.ts';

/**
 * The batch layer's data-quality gate: pure checks over what a run computed (read back from the
 * object store by the runner, quality-facts.ts) and what the published manifest says, one check
 * per concept. An hour with a failure is not published; the previous version of it keeps serving.
 */
export type QualityCheck = 'schema' | 'files' | 'counts' | 'measures' | 'reach' | 'dead_letters' | 'drift';

export const QUALITY_CHECKS: readonly QualityCheck[] = ['schema', 'files', 'counts', 'measures', 'reach', 'dead_letters', 'drift'];

/** Why one hour of one view (null: of every view, e.g. its input counts) failed the gate. */
export interface QualityFailure {
  readonly view: string | null;
  readonly bucket: number;
  readonly check: QualityCheck;
  readonly detail: string;
}

export interface ValueRange {
  readonly min: number;
  readonly max: number;
}

/** What the runner read back of one stored pane file. */
export interface StoredPaneFile {
  readonly key: string;
  /** Pane rows the run wrote into the file before storing it. */
  readonly written: number;
  /** Why the stored file could not be read (absent, not Parquet); the rest is then absent. */
  readonly problem?: string;
  /** Column names and DuckDB types, in file order. */
  readonly columns?: readonly (readonly [name: string, type: string])[];
  readonly rows?: number;
  /** Rows with a null key, start, end or bucket. */
  readonly nullBounds?: number;
  /** Ranges over the rows (absent without rows). */
  readonly bucket?: ValueRange;
  readonly start?: ValueRange;
  readonly end?: ValueRange;
  /** Per measure column: rows null or NaN, and the smallest value (null without a value). */
  readonly measures?: Readonly<Record<string, { readonly nulls: number; readonly min: number | null }>>;
}

/** A measure's largest relative change in an hour against the published panes of that hour, and where. */
export interface MeasureDrift {
  readonly measure: string;
  /** |new - old| / max(|old|, 1) at the pane that changed most; Infinity when a published window is gone. */
  readonly change: number;
  readonly key: string;
  readonly start: number;
}

/** One view's part of one computed hour. */
export interface ViewHourFacts {
  readonly view: string;
  readonly bucket: number;
  readonly files: readonly StoredPaneFile[];
  /** Per measure; null when the hour was not published before by the same views (nothing to compare). */
  readonly drift: readonly MeasureDrift[] | null;
}

/** One computed hour's input. */
export interface HourFacts {
  readonly bucket: number;
  /** Master rows the run read (duplicates included) and the distinct events among them. */
  readonly rows: number;
  readonly events: number;
  /** Valid records the archiver stored in the hour, and records it rejected as invalid; null when unknown (archived before it counted). */
  readonly archivedValid: number | null;
  readonly deadLettered: number | null;
}

export interface GateInput {
  readonly bucketMs: number;
  readonly hours: readonly HourFacts[];
  readonly views: readonly ViewHourFacts[];
}

const fail = (view: string | null, bucket: number, check: QualityCheck, detail: string): QualityFailure => ({ view, bucket, check, detail });
const hourOf = (bucket: number) => new Date(bucket).toISOString();

/** Each stored file has the pane file's columns, names and types, in order (pane-file.ts). */
export function checkSchema(view: CompiledView, bucket: number, files: readonly StoredPaneFile[]): QualityFailure[] {
  const expected = paneFileColumns(view.measures).map(([n, t]) => `${n} ${t}`).join(', ');
  return files
    .filter((f) => f.columns !== undefined && f.columns.map(([n, t]) => `${n} ${t}`).join(', ') !== expected)
    .map((f) => fail(view.name, bucket, 'schema', `${f.key} has columns (${f.columns!.map(([n, t]) => `${n} ${t}`).join(', ')}), expected (${expected})`));
}

/**
 * Every file the run wrote is stored, readable and holds the rows written; and a view that takes
 * every event has panes in an hour with events (its file was not dropped on the way).
 */
export function checkFiles(view: CompiledView, hour: HourFacts, files: readonly StoredPaneFile[]): QualityFailure[] {
  const out: QualityFailure[] = [];
  for (const f of files) {
    if (f.problem !== undefined) out.push(fail(view.name, hour.bucket, 'files', `${f.key}: ${f.problem}`));
    else if (f.rows !== f.written) out.push(fail(view.name, hour.bucket, 'files', `${f.key} holds ${f.rows} panes, ${f.written} were written`));
  }
  const written = files.reduce((n, f) => n + f.written, 0);
  if (view.filter === undefined && hour.events > 0 && written === 0) {
    out.push(fail(view.name, hour.bucket, 'files', `no pane file for hour ${hourOf(hour.bucket)}, which has ${hour.events} events and the view takes every event`));
  }
  return out;
}

/**
 * The hour's input adds up: rows read = distinct events + duplicates (so events <= rows, and an
 * hour with rows has events), and the run read at least the valid records the archiver stored in
 * it (fewer: a master file is missing). More is not a failure: an archive may have added files since.
 */
export function checkCounts(hour: HourFacts): QualityFailure[] {
  const out: QualityFailure[] = [];
  if (hour.events > hour.rows || (hour.rows > 0 && hour.events === 0)) {
    out.push(fail(null, hour.bucket, 'counts', `read ${hour.rows} master rows but found ${hour.events} distinct events: rows must be events plus duplicates`));
  }
  if (hour.archivedValid !== null && hour.rows < hour.archivedValid) {
    out.push(fail(null, hour.bucket, 'counts', `read ${hour.rows} master rows, but the archiver stored ${hour.archivedValid} valid records in hour ${hourOf(hour.bucket)}: a master file is missing`));
  }
  return out;
}

/** No measure is null or NaN (a pane holds the measure's identity, never null), and none the view declares non-negative (and no count) is below 0. */
export function checkMeasures(view: CompiledView, bucket: number, files: readonly StoredPaneFile[]): QualityFailure[] {
  const out: QualityFailure[] = [];
  for (const f of files) {
    for (const m of view.measures) {
      const s = f.measures?.[m.name];
      if (s === undefined) continue;
      if (s.nulls > 0) out.push(fail(view.name, bucket, 'measures', `${f.key}: ${s.nulls} panes with ${m.name} null or NaN`));
      if (s.min !== null && s.min < 0 && view.quality.nonNegative.includes(m.name)) out.push(fail(view.name, bucket, 'measures', `${f.key}: ${m.name} is ${s.min}, below 0, which the view forbids`));
    }
  }
  return out;
}

/**
 * Every pane belongs to its hour and lies within the hour's reach: its bucket column is the hour,
 * its window overlaps the hour and spans no further than the window's reach around it (a fixed
 * window starts up to its size before, a session ends up to its gap after; bucket.ts).
 */
export function checkReach(view: CompiledView, bucket: number, bucketMs: number, files: readonly StoredPaneFile[]): QualityFailure[] {
  const reach = reachOf(view.def.window);
  const out: QualityFailure[] = [];
  for (const f of files) {
    if (f.nullBounds !== undefined && f.nullBounds > 0) out.push(fail(view.name, bucket, 'reach', `${f.key}: ${f.nullBounds} panes without a key, start, end or bucket`));
    if (f.bucket === undefined || f.start === undefined || f.end === undefined) continue;
    if (f.bucket.min !== bucket || f.bucket.max !== bucket) out.push(fail(view.name, bucket, 'reach', `${f.key}: panes of buckets ${hourOf(f.bucket.min)} to ${hourOf(f.bucket.max)} in the file of ${hourOf(bucket)}`));
    if (f.start.min < bucket - reach || f.start.max >= bucket + bucketMs || f.end.min <= bucket || f.end.max > bucket + bucketMs + reach) {
      out.push(fail(view.name, bucket, 'reach', `${f.key}: windows from ${hourOf(f.start.min)} to ${hourOf(f.end.max)} lie outside the reach of hour ${hourOf(bucket)} (${reach} ms either side)`));
    }
  }
  return out;
}

/** The share of the hour's records the archiver dead-lettered is within the view's bound. */
export function checkDeadLetters(view: CompiledView, hour: HourFacts): QualityFailure[] {
  const bound = view.quality.maxDeadLetterShare;
  if (bound === null || hour.deadLettered === null || hour.deadLettered === 0) return [];
  const share = hour.deadLettered / (hour.deadLettered + hour.rows);
  return share > bound ? [fail(view.name, hour.bucket, 'dead_letters', `${hour.deadLettered} of ${hour.deadLettered + hour.rows} records of hour ${hourOf(hour.bucket)} were dead-lettered (${formatShare(share)}), more than the bound ${formatShare(bound)}`)] : [];
}

/** A recompute changes no window's part in the hour by more than the view's bound against the published one. */
export function checkDrift(view: CompiledView, bucket: number, drift: readonly MeasureDrift[] | null): QualityFailure[] {
  const bound = view.quality.maxDrift;
  if (bound === null || drift === null) return [];
  return drift
    .filter((d) => d.change > bound)
    .map((d) =>
      fail(
        view.name,
        bucket,
        'drift',
        d.change === Number.POSITIVE_INFINITY
          ? `the published window of key ${d.key} at ${hourOf(d.start)} is gone from the recompute`
          : `${d.measure} of key ${d.key}, window at ${hourOf(d.start)}, changed by ${formatShare(d.change)} against the published hour, more than the bound ${formatShare(bound)}`,
      ),
    );
}

/** Runs every check over a run's facts; the failures, hour by hour. */
export function qualityGate(views: readonly CompiledView[], input: GateInput): QualityFailure[] {
  const out: QualityFailure[] = [];
  const byView = new Map(input.views.map((f) => [`${f.view}\n${f.bucket}`, f]));
  for (const hour of input.hours) {
    out.push(...checkCounts(hour));
    for (const view of views) {
      const facts = byView.get(`${view.name}\n${hour.bucket}`);
      const files = facts?.files ?? [];
      out.push(
        ...checkFiles(view, hour, files),
        ...checkSchema(view, hour.bucket, files),
        ...checkMeasures(view, hour.bucket, files),
        ...checkReach(view, hour.bucket, input.bucketMs, files),
        ...checkDeadLetters(view, hour),
        ...checkDrift(view, hour.bucket, facts?.drift ?? null),
      );
    }
  }
  return out;
}

function formatShare(x: number): string {
  return `${Number((x * 100).toPrecision(3))}%`;
}
