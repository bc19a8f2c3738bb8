import type { MeasureResults } from './aggregate.ts';
import type { CompiledAlertRule } from './alert-rule.ts';

/** One window of a view with its measures by name: what a rule is evaluated on. */
export interface RuleWindow {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly measures: MeasureResults;
}

/**
 * An alert: one rule fired on one final window of its view. Its id is a function of (rule, view,
 * key, window start) only, so the same alert found twice (a replay, a second mode, a repeat after
 * a crash) has the same id and a reader keeps one.
 */
export interface Alert {
  readonly id: string;
  readonly rule: string;
  readonly view: string;
  readonly key: string;
  /** The window, half-open [start, end), epoch ms. */
  readonly start: number;
  readonly end: number;
  /** The window's measures as stored: what the condition read. */
  readonly measures: MeasureResults;
}

/** The deterministic id of an alert: rule, view, key and window start, each JSON-quoted (no two tuples share an id). */
export function alertId(rule: string, view: string, key: string, start: number): string {
  return JSON.stringify([rule, view, key, start]);
}

/** The alerts a rule raises on windows of its view (the caller passes final windows only), in the windows' order. */
export function alertsOf(rule: CompiledAlertRule, windows: Iterable<RuleWindow>): Alert[] {
  const out: Alert[] = [];
  for (const w of windows) {
    if (!rule.test(w.measures)) continue;
    out.push({ id: alertId(rule.name, rule.view, w.key, w.start), rule: rule.name, view: rule.view, key: w.key, start: w.start, end: w.end, measures: w.measures });
  }
  return out;
}

/** Alerts in one order (start, rule, key), one per id: what every mode's answer and every comparison sorts by. */
export function sortAlerts(alerts: Iterable<Alert>): Alert[] {
  const byId = new Map<string, Alert>();
  for (const a of alerts) if (!byId.has(a.id)) byId.set(a.id, a);
  return [...byId.values()].sort((a, b) => a.start - b.start || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
