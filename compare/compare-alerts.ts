import type { MeasureResults } from '../shared/compute/aggregate.ts';
import { alertsOf, sortAlerts, type Alert } from '../shared/compute/alert.ts';
import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TruthWindow } from './ground-truth.ts';

/**
 * Why an alert is in one source and not the other: the other has the window with other measures
 * (`window_differs`: for the stream, events that came too late for it and that the truth counts),
 * or does not have the window at all (`window_missing`: e.g. a window whose only events were late).
 */
export type AlertDifferenceReason = 'window_differs' | 'window_missing';

/** One alert found by one side only. */
export interface AlertDifference {
  readonly id: string;
  readonly rule: string;
  readonly key: string;
  readonly start: number;
  readonly reason: AlertDifferenceReason;
}

/** How one mode's alerts compare with the alerts of the truth's windows. */
export interface AlertComparison {
  /** Alerts the truth's windows raise. */
  readonly truth: number;
  /** Alerts the mode's windows raise. */
  readonly found: number;
  /** Found by both. */
  readonly matched: number;
  /** In the truth, not in the mode (the first MAX_LISTED of them, by start). */
  readonly missed: readonly AlertDifference[];
  readonly missedCount: number;
  /** In the mode, not in the truth (the first MAX_LISTED). */
  readonly extra: readonly AlertDifference[];
  readonly extraCount: number;
}

/** Differences listed per side; the counts say how many there are. */
export const MAX_LISTED = 20;

/**
 * Applies every rule of the pipeline to a mode's windows and to the truth's windows (the rule is
 * the definition, shared; the windows are not) and compares the alerts by id. The caller passes
 * the windows each side holds as final: the demo compares at the end of a run, when every mode
 * caught up.
 */
export function compareAlerts(pipeline: Pipeline, modeWindows: Readonly<Record<string, readonly MergedWindow[]>>, truthViews: Readonly<Record<string, readonly TruthWindow[]>>): AlertComparison {
  const mode: Alert[] = [];
  const truth: Alert[] = [];
  const modeMeasures = new Map<string, MeasureResults>();
  const truthMeasures = new Map<string, MeasureResults>();
  const at = (view: string, key: string, start: number) => JSON.stringify([view, key, start]);
  for (const rule of pipeline.alerts) {
    const view = pipeline.view(rule.view);
    const m = (modeWindows[rule.view] ?? []).map((w) => ({ key: w.key, start: w.start, end: w.end, measures: view.aggregate.named(w.acc, w.states) }));
    const t = (truthViews[rule.view] ?? []).map((w) => ({ key: w.key, start: w.start, end: w.end, measures: w.values }));
    for (const w of m) modeMeasures.set(at(rule.view, w.key, w.start), w.measures);
    for (const w of t) truthMeasures.set(at(rule.view, w.key, w.start), w.measures);
    mode.push(...alertsOf(rule, m));
    truth.push(...alertsOf(rule, t));
  }
  const modeIds = new Set(mode.map((a) => a.id));
  const truthIds = new Set(truth.map((a) => a.id));
  const differences = (alerts: readonly Alert[], other: ReadonlySet<string>, otherWindows: ReadonlyMap<string, unknown>) =>
    sortAlerts(alerts.filter((a) => !other.has(a.id))).map((a): AlertDifference => ({ id: a.id, rule: a.rule, key: a.key, start: a.start, reason: otherWindows.has(at(a.view, a.key, a.start)) ? 'window_differs' : 'window_missing' }));
  const missed = differences(truth, modeIds, modeMeasures);
  const extra = differences(mode, truthIds, truthMeasures);
  return {
    truth: truthIds.size,
    found: modeIds.size,
    matched: [...modeIds].filter((id) => truthIds.has(id)).length,
    missed: missed.slice(0, MAX_LISTED),
    missedCount: missed.length,
    extra: extra.slice(0, MAX_LISTED),
    extraCount: extra.length,
  };
}
