import { ConfigError } from '../errors.ts';
import type { SessionSpec, Window } from './window.ts';

/**
 * Session windows (gap windows), as Flink and Beam define them: each event opens the window
 * [t, t + gap); windows of one key that overlap merge. So two events exactly `gap` apart are in
 * different sessions (half-open windows touch but do not overlap), and a session's end is its
 * last event plus the gap.
 *
 * Because merging overlapping intervals is order-independent, fragments of one session computed
 * separately (per batch bucket, per log partition, batch vs speed) merge into the same session
 * with `mergeSessionWindows`; this is what lets a session span the batch horizon.
 */
export function sessionWindowOf(spec: SessionSpec, t: number): Window {
  return { start: t, end: t + spec.gapMs };
}

/**
 * SQL that numbers the sessions of each (key, bucket) over a relation with columns
 * `key`, `bucket`, `event_time`: the SQL twin of the overlap rule above (a new session starts when
 * an event is `gap` or more after the previous one). Returns the relation plus a `session_no` column.
 */
export function sessionNumberSql(spec: SessionSpec, relation: string): string {
  // RANGE, not ROWS: events at the same time are peers and must get the same number. Only the
  // first of them (in lag's arbitrary tie order) can start a session, and with ROWS the running
  // sum would leave the peers read before it in the previous session.
  return `SELECT *, sum(is_start) OVER (PARTITION BY key, bucket ORDER BY event_time RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
  FROM (SELECT *, CASE WHEN event_time - lag(event_time) OVER (PARTITION BY key, bucket ORDER BY event_time) < ${spec.gapMs} THEN 0 ELSE 1 END AS is_start
        FROM ${relation})`;
}

/** Throws a message that says what to change when the gap cannot work. */
export function checkSessionWindow(name: string, spec: SessionSpec): void {
  if (!(Number.isInteger(spec.gapMs) && spec.gapMs > 0)) throw new ConfigError(`${name}: session gap must be a positive whole number of ms`);
}
