import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { formatDuration } from '../shared/metrics/format-duration.ts';
import type { LatencySummary } from '../shared/metrics/latency-histogram.ts';
import { compareAlerts, type AlertComparison } from './compare-alerts.ts';
import { compareView, type ViewComparison } from './compare-views.ts';
import type { GroundTruth } from './ground-truth.ts';

/** The ways of running the pipeline the report can compare, in report order. */
export const MODE_NAMES = ['lambda', 'kappa', 'batch', 'speed'] as const;
export type ModeName = (typeof MODE_NAMES)[number];

/** What one mode served: its merged windows per view, and how fresh it was. */
export interface ModeResult {
  readonly windows: Readonly<Record<string, readonly MergedWindow[]>>;
  /** Append-to-visible latency of the mode's records; null when it does not apply (batch). */
  readonly freshness?: LatencySummary | null;
}

/** Everything the report is built from. */
export interface ComparisonInput {
  readonly pipeline: Pipeline;
  readonly truth: GroundTruth;
  readonly modes: Partial<Record<ModeName, ModeResult>>;
  /** Events the streaming layer found too late (the truth has no lateness limit, so it cannot count them). */
  readonly tooLate?: number | null;
  /** Records generated, when known better than the truth's count of records read from the log (probes not included). */
  readonly generated?: number;
  /** Probe events the run added to the records to measure freshness (valid events: the truth counts them; default 0). */
  readonly probes?: number;
  /** Whether the records were generated or read from the user's input (default generated). */
  readonly source?: RecordSource;
}

/** Where the demo's records came from. */
export type RecordSource = 'generated' | 'read';

/** One mode against the truth. */
export interface ModeReport {
  readonly views: Readonly<Record<string, ViewComparison>>;
  readonly freshness: LatencySummary | null;
  /** Every window of every view equals the truth. */
  readonly allExact: boolean;
  /** The pipeline's alert rules over the mode's windows against the truth's (compare-alerts.ts); absent when it declares none. */
  readonly alerts?: AlertComparison;
}

/** The demo's report: the events, then each mode against the ground truth. */
export interface ComparisonReport {
  readonly events: {
    /** Records generated, or read from the input (see source): the workload, without the probes. */
    readonly generated: number;
    readonly source: RecordSource;
    /** Probe events added by the run (freshness), each one valid event. */
    readonly probes: number;
    /** Distinct valid events, the probes among them (generated + probes = valid + deadLetter + duplicate). */
    readonly valid: number;
    readonly deadLetter: number;
    readonly duplicate: number;
    /** Valid events the stream judged too late; null when not measured. */
    readonly tooLate: number | null;
  };
  readonly truth: { readonly views: Readonly<Record<string, { readonly windows: number }>> };
  readonly modes: Partial<Record<ModeName, ModeReport>>;
}

/** Builds the report: every mode's views compared with the truth's (views the truth does not cover are left out). */
export function buildComparisonReport(input: ComparisonInput): ComparisonReport {
  const { pipeline, truth } = input;
  const probes = input.probes ?? 0;
  const modes: Partial<Record<ModeName, ModeReport>> = {};
  for (const name of MODE_NAMES) {
    const result = input.modes[name];
    if (!result) continue;
    const views: Record<string, ViewComparison> = {};
    for (const [viewName, windows] of Object.entries(truth.views)) {
      views[viewName] = compareView(pipeline.view(viewName), result.windows[viewName] ?? [], windows);
    }
    const allExact = Object.values(views).every((c) => c.exact === c.windows);
    const alerts = pipeline.alerts.length === 0 ? undefined : compareAlerts(pipeline, result.windows, truth.views);
    modes[name] = { views, freshness: result.freshness ?? null, allExact, ...(alerts ? { alerts } : {}) };
  }
  return {
    events: {
      generated: input.generated ?? truth.counts.records - probes,
      source: input.source ?? 'generated',
      probes,
      valid: truth.counts.events,
      deadLetter: truth.counts.invalid,
      duplicate: truth.counts.duplicate,
      tooLate: input.tooLate ?? null,
    },
    truth: { views: Object.fromEntries(Object.entries(truth.views).map(([v, ws]) => [v, { windows: ws.length }])) },
    modes,
  };
}

/** The report as a table for the terminal (plain text, fixed-width columns). */
export function formatComparisonReport(report: ComparisonReport): string {
  const e = report.events;
  const lines = [
    `Events: ${count(e.generated)} ${e.source}${e.probes > 0 ? ` + ${count(e.probes)} probes` : ''} = ${count(e.valid)} valid + ${count(e.deadLetter)} dead-letter + ${count(e.duplicate)} duplicate` +
      (e.tooLate === null ? '' : `; ${count(e.tooLate)} of the valid arrived too late for the stream`),
    '',
  ];
  const rows: string[][] = [['mode', 'view', 'windows', 'exact', '', 'missing', 'extra', 'abs error (additive measures)']];
  for (const mode of MODE_NAMES) {
    const m = report.modes[mode];
    if (!m) continue;
    let first = true;
    for (const [view, c] of Object.entries(m.views)) {
      const errors = Object.entries(c.absError).filter(([, v]) => v !== 0);
      rows.push([
        first ? mode : '',
        view,
        count(c.windows),
        count(c.exact),
        `(${c.windows === 0 ? '100.0' : ((100 * c.exact) / c.windows).toFixed(1)}%)`,
        count(c.missing),
        count(c.extra),
        errors.length === 0 ? '0' : errors.map(([n, v]) => `${n} ${count(v)}`).join(', '),
      ]);
      first = false;
    }
  }
  lines.push(...table(rows, [false, false, true, true, true, true, true, false]));
  const fresh = MODE_NAMES.flatMap((mode) => {
    const f = report.modes[mode]?.freshness;
    return f ? [[mode, formatDuration(f.p50Ms), formatDuration(f.p99Ms), formatDuration(f.maxMs), count(f.count)]] : [];
  });
  if (fresh.length > 0) {
    lines.push('', ...table([['freshness', 'p50', 'p99', 'max', 'records'], ...fresh], [false, true, true, true, true]));
  }
  const verdicts = MODE_NAMES.filter((mode) => report.modes[mode]).map((mode) => `${mode} ${report.modes[mode]!.allExact ? 'matches the truth exactly' : 'differs from the truth'}`);
  if (verdicts.length > 0) lines.push('', `${verdicts.join('; ')}.`);
  return lines.join('\n');
}

function table(rows: readonly string[][], rightAligned: readonly boolean[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
