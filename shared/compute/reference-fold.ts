import type { Event } from '../model/event.ts';
import { bucketOf } from '../time/bucket.ts';
import type { Pane } from './pane.ts';
import type { Pipeline } from './pipeline.ts';
import { ViewState } from './view-state.ts';

/**
 * Folds a set of events into panes with no watermark and no lateness limit: what the batch
 * layer computes over the master dataset. Duplicates (by event_id) are dropped, first wins.
 * The direct in-memory runner: the batch job's DuckDB path must agree with it (conformance tests).
 */
export function foldEvents(pipeline: Pipeline, events: Iterable<Event>): Pane[] {
  const states = pipeline.views.map((v) => new ViewState(v));
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.event_id)) continue;
    seen.add(e.event_id);
    const bucket = bucketOf(e.event_time, pipeline.config.bucketMs);
    for (const s of states) if (s.view.accepts(e)) s.add(e, bucket);
  }
  return states.flatMap((s) => s.drain().upserts);
}
