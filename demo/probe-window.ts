import type { Pipeline } from '../shared/compute/pipeline.ts';
import { probeRecord } from './probe-record.ts';

/**
 * Where a probe event shows once a mode has counted it: the first view that takes it (its
 * filter) and is keyed by a field the probe sets to its id, so that the window is the probe's
 * alone, with that window's key. Null when no view of the pipeline can show a probe (freshness
 * then goes unmeasured).
 */
export function probeWindow(pipeline: Pipeline, id: string, time: number): { readonly view: string; readonly key: string } | null {
  const v = pipeline.validator.validateEvent(probeRecord(pipeline.config.schema, id, time), time);
  if (!v.ok) return null;
  for (const view of pipeline.views) {
    if (view.accepts(v.event) && view.keyFields.some((f) => v.event[f] === id)) return { view: view.name, key: view.keyOf(v.event) };
  }
  return null;
}
