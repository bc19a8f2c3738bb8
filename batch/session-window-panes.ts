import type { CompiledView } from '../shared/compute/pipeline.ts';
import { sessionNumberSql, sessionSlotSql } from '../shared/time/session-window.ts';
import type { SessionSpec } from '../shared/time/window.ts';
import { mergedMeasuresSql, partialMeasuresSql } from './pane-file.ts';
import { viewEventsSql } from './view-events-sql.ts';

/**
 * The SELECT of a session view's panes over `events` (a relation with the master columns and
 * `bucket`). DuckDB aggregates each key's events per session slot (`sessionSlotSql`: events of one
 * slot always share a session) into fragments with the view's `measureSql`, numbers the sessions
 * of each (key, bucket) over the fragments with the shared `sessionNumberSql`, and merges the
 * fragments of a session with `combineSql`: the window functions sort fragments, not events. A
 * session pane spans its first event to its last event plus the gap (the union of its events'
 * windows [t, t + gap)). Panes of one session cut by a bucket boundary merge again on read
 * (`mergePanes`).
 */
export function sessionWindowPanesSql(view: CompiledView, spec: SessionSpec, events: string): string {
  const fragments = `SELECT key, bucket, ${sessionSlotSql(spec, 'event_time')} AS slot, min(event_time) AS first_time, max(event_time) AS last_time, ${partialMeasuresSql(view)}
    FROM (${viewEventsSql(view, events)}) GROUP BY key, bucket, slot`;
  const numbered = sessionNumberSql(spec, `(${fragments})`, { first: 'first_time', last: 'last_time' });
  return `SELECT key, min(first_time) AS start, max(last_time) + ${spec.gapMs} AS "end", bucket, ${mergedMeasuresSql(view)}
    FROM (${numbered})
    GROUP BY key, bucket, session_no`;
}
