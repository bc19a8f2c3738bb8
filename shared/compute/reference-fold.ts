import type { Event } from '../model/event.ts';
import { bucketOf } from '../time/bucket.ts';
import type { Pane } from './pane.ts';
import type { Pipeline } from './pipeline.ts';
import { ViewState } from './view-state.ts';

/**
 * Folds a set of events into panes with no watermark and no lateness limit: what the batch
 * layer computes over the master dataset. Duplicates (by the schema's id) are dropped, first wins.
 * The direct in-memory runner: the batch job's DuckDB path must agree with it (conformance tests).
 */
export function foldEvents(pipeline: Pipeline, events: Iterable<Event>): Pane[] {
  const states = pipeline.views.map((v) => new ViewState(v));
  const seen = new Set<string>();
  for (const e of events) {
    const id = pipeline.idOf(e);
    if (seen.has(id)) continue;
    seen.add(id);
    const bucket = bucketOf(pipeline.timeOf(e), pipeline.config.bucketMs);
    for (const s of states) if (s.view.accepts(e)) s.add(e, bucket);
  }
  return states.flatMap((s) => s.drain().upserts);
}
