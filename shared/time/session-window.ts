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
 * SQL for the session slot of a BIGINT epoch-ms column within its batch bucket (a BIGINT column
 * holding the bucket start of that time): `floor((t - bucket) / gap)`. Two events of one slot are
 * less than a gap apart, so they are always in one session: DuckDB can pre-aggregate a key's
 * events per slot into one fragment (a span [first, last] plus partial measures) and number
 * sessions over the few fragments instead of every event. Slots restart at each bucket start, so
 * a bucket holds `sessionSlotsPerBucket` of them.
 */
export function sessionSlotSql(spec: SessionSpec, column: string, bucketColumn: string): string {
  // t - bucket >= 0, so integer division is the floor (and cheaper than going through DOUBLE).
  return `((${column} - ${bucketColumn}) // ${spec.gapMs})`;
}

/**
 * How many session slots (`sessionSlotSql`) one batch bucket holds. One when the gap is at least
 * the bucket: then all events of a key in a bucket are one session (they are less than a bucket,
 * hence less than a gap, apart).
 */
export function sessionSlotsPerBucket(spec: SessionSpec, bucketMs: number): number {
  return Math.ceil(bucketMs / spec.gapMs);
}

/** The columns holding each row's span of event time for `sessionNumberSql`. */
export interface SessionSpanColumns {
  readonly first: string;
  readonly last: string;
}

const EVENT_SPAN: SessionSpanColumns = { first: 'event_time', last: 'event_time' };

/**
 * SQL that numbers the sessions of each (key, bucket): the SQL twin of the overlap rule above (a
 * new session starts when a row begins `gap` or more after the previous one ended). Rows are events
 * (span = `event_time`) or fragments whose events already share a session and whose spans follow
 * one another without interleaving, as the slots of `sessionSlotSql` do. The relation has columns
 * `key`, `bucket` and the span columns; returns it plus a `session_no` column.
 */
export function sessionNumberSql(spec: SessionSpec, relation: string, span: SessionSpanColumns = EVENT_SPAN): string {
  // RANGE, not ROWS: events at the same time are peers and must get the same number. Only the
  // first of them (in lag's arbitrary tie order) can start a session, and with ROWS the running
  // sum would leave the peers read before it in the previous session. (Fragments of one key and
  // bucket never tie: each starts after the previous one ended.)
  const order = `PARTITION BY key, bucket ORDER BY ${span.first}`;
  return `SELECT *, sum(is_start) OVER (${order} RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
  FROM (SELECT *, CASE WHEN ${span.first} - lag(${span.last}) OVER (${order}) < ${spec.gapMs} THEN 0 ELSE 1 END AS is_start
        FROM ${relation})`;
}

/**
 * SQL that gives each slot fragment the slot its session starts at (`session_slot`), without
 * sorting, for buckets of at most two slots: the SQL twin of the overlap rule above for that case.
 * A fragment continues the session of its key's fragment in the previous slot of the bucket when
 * it starts less than `gap` after that fragment's last event, and starts a session otherwise;
 * with two slots a session has at most two fragments, so looking one slot back is enough.
 * `fragments` names a relation (a table or CTE; it is read twice) with one row per (`key`,
 * `bucket`, `slot`) and the span columns; returns its rows plus `session_slot`. Throws when the
 * bucket holds more than two slots (use `sessionNumberSql` then).
 */
export function sessionStartSlotSql(spec: SessionSpec, bucketMs: number, fragments: string, span: SessionSpanColumns): string {
  const slots = sessionSlotsPerBucket(spec, bucketMs);
  if (slots > 2) throw new ConfigError(`sessionStartSlotSql: a bucket of ${bucketMs} ms holds ${slots} slots of a ${spec.gapMs} ms gap; it handles at most 2`);
  // No previous fragment: p's columns are NULL, the comparison is NULL and the fragment starts a session.
  return `SELECT f.*, CASE WHEN f.${span.first} - p.${span.last} < ${spec.gapMs} THEN p.slot ELSE f.slot END AS session_slot
  FROM ${fragments} f LEFT JOIN ${fragments} p ON p.key = f.key AND p.bucket = f.bucket AND p.slot = f.slot - 1`;
}

/** Throws a message that says what to change when the gap cannot work. */
export function checkSessionWindow(name: string, spec: SessionSpec): void {
  if (!(Number.isInteger(spec.gapMs) && spec.gapMs > 0)) throw new ConfigError(`${name}: session gap must be a positive whole number of ms`);
}
