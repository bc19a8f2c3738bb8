import type { CompiledView } from '../shared/compute/pipeline.ts';
import { sessionNumberSql, sessionSlotSql, sessionSlotsPerBucket, sessionStartSlotSql, type SessionSpanColumns } from '../shared/time/session-window.ts';
import type { SessionSpec } from '../shared/time/window.ts';
import { mergedMeasuresSql, partialColumnsSql, partialMeasuresSql } from './pane-file.ts';
import { viewEventsSql } from './view-events-sql.ts';

const SPAN: SessionSpanColumns = { first: 'first_time', last: 'last_time' };

/**
 * The SELECT of a session view's panes over `events` (a relation with the master columns and
 * `bucket`). DuckDB aggregates each key's events per session slot of their bucket
 * (`sessionSlotSql`: events of one slot always share a session) into fragments with the view's
 * `measureSql`, finds which fragments form one session and merges those with `combineSql`. A
 * session pane spans its first event to its last event plus the gap (the union of its events'
 * windows [t, t + gap)). Panes of one session cut by a bucket boundary merge again on read
 * (`mergePanes`).
 *
 * How sessions are found depends on how many slots a bucket holds (`sessionSlotsPerBucket`), all
 * by the shared rule's SQL twins: one slot (gap >= bucket) means a key's fragment is its session,
 * nothing to merge; two slots (the reference view: 30 min gap, 1 h buckets) link each fragment to
 * the previous slot's with one hash join (`sessionStartSlotSql`); more slots number sessions with
 * window functions over the fragments (`sessionNumberSql`), which sort. Measured on 10M events
 * (24 one-hour buckets, one thread): the statement took 4.5 CPU-s with the join, 6.1-6.4 with the
 * window functions, of which the fragments alone took 2.4.
 */
export function sessionWindowPanesSql(view: CompiledView, spec: SessionSpec, events: string, bucketMs: number): string {
  const slots = sessionSlotsPerBucket(spec, bucketMs);
  const slot = slots === 1 ? '' : `, ${sessionSlotSql(spec, 'event_time', 'bucket')} AS slot`;
  const fragments = `SELECT key, bucket${slot}, min(event_time) AS first_time, max(event_time) AS last_time, ${partialMeasuresSql(view)}
    FROM (${viewEventsSql(view, events)}) GROUP BY ALL`;
  if (slots === 1) return `SELECT key, first_time AS start, last_time + ${spec.gapMs} AS "end", bucket, ${partialColumnsSql(view)} FROM (${fragments})`;
  const merged = (numbered: string, session: string) =>
    `SELECT key, min(first_time) AS start, max(last_time) + ${spec.gapMs} AS "end", bucket, ${mergedMeasuresSql(view)}
    FROM (${numbered})
    GROUP BY key, bucket, ${session}`;
  if (slots === 2) return `WITH fragments AS MATERIALIZED (${fragments}) ${merged(sessionStartSlotSql(spec, bucketMs, 'fragments', SPAN), 'session_slot')}`;
  return merged(sessionNumberSql(spec, `(${fragments})`, SPAN), 'session_no');
}
