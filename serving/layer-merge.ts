import type { Pane } from '../shared/compute/pane.ts';
import { mergePanes, type MergedWindow, type TaggedPane } from '../shared/compute/pane-merge.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import type { ServingMode } from './serving-mode.ts';

/**
 * THE merge rule at the batch horizon (Summingbird's ClientStore: the offline store's batch id is
 * an exclusive upper bound, the online store supplies every batch from it on).
 *
 * The horizon is a bucket start and an exclusive bound: in `lambda` mode a pane of bucket
 * `b < horizon` comes from batch and a pane of bucket `b >= horizon` from speed, so each event is
 * counted by exactly one layer whatever either layer holds beyond its side (the speed layer keeps
 * buckets below the horizon until it expires them; batch never holds buckets from the horizon on,
 * but is filtered anyway). The chosen panes are merged with the view's aggregate by `mergePanes`,
 * which joins the two halves of a sliding window and the fragments of a session cut by the horizon.
 * With no batch yet (`horizon === null`) Lambda is speed alone.
 *
 * `batch` serves batch panes below the horizon only; `speed` and `kappa` serve the streaming panes
 * they are given (the `speed` namespace, or the namespace the `kappa` alias points at), whole.
 */

/** Which layer served a pane: `speed` is the streaming job's panes (the Kappa version in kappa mode). */
export type Layer = 'batch' | 'speed';

/** The panes each layer returned for one view (and optionally one key) and time range. */
export interface LayerPanes {
  readonly batch: readonly Pane[];
  readonly speed: readonly Pane[];
}

/** The panes a mode serves, each tagged with its layer. Pure. */
export function selectPanes(mode: ServingMode, panes: LayerPanes, horizon: number | null): TaggedPane<Layer>[] {
  const out: TaggedPane<Layer>[] = [];
  const takeBatch = mode === 'lambda' || mode === 'batch';
  const takeSpeed = mode !== 'batch';
  if (takeBatch && horizon !== null) {
    for (const pane of panes.batch) if (pane.bucket < horizon) out.push({ pane, tag: 'batch' });
  }
  if (takeSpeed) {
    const from = mode === 'lambda' && horizon !== null ? horizon : Number.NEGATIVE_INFINITY;
    for (const pane of panes.speed) if (pane.bucket >= from) out.push({ pane, tag: 'speed' });
  }
  return out;
}

/** The windows a mode serves: the selected panes merged per key and window, tagged with the layers that fed each. */
export function mergeLayers(view: CompiledView, mode: ServingMode, panes: LayerPanes, horizon: number | null): MergedWindow<Layer>[] {
  return mergePanes(view, selectPanes(mode, panes, horizon));
}
