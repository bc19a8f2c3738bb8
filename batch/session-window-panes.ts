import type { CompiledView } from '../shared/compute/pipeline.ts';
import { sessionNumberSql } from '../shared/time/session-window.ts';
import type { SessionSpec } from '../shared/time/window.ts';
import { BUCKET_EVENTS_TABLE } from './bucket-events.ts';
import { measureAggregatesSql } from './pane-file.ts';
import { viewEventsSql } from './view-events-sql.ts';

/**
 * The SELECT of a session view's panes for the buckets in BUCKET_EVENTS_TABLE: sessions are
 * numbered per (key, bucket) by the shared `sessionNumberSql`; a session fragment spans its first
 * event to its last event plus the gap (the union of its events' windows [t, t + gap)). Fragments
 * of one session cut by a bucket boundary merge again on read (`mergePanes`).
 */
export function sessionWindowPanesSql(view: CompiledView, spec: SessionSpec): string {
  const numbered = sessionNumberSql(spec, `(${viewEventsSql(view, BUCKET_EVENTS_TABLE)})`);
  return `SELECT key, min(event_time) AS start, max(event_time) + ${spec.gapMs} AS "end", bucket, ${measureAggregatesSql(view)}
    FROM (${numbered})
    GROUP BY key, bucket, session_no`;
}
