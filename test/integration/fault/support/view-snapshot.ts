import type { PartitionStats } from '../../../../shared/compute/partition-processor.ts';
import type { Pipeline } from '../../../../shared/compute/pipeline.ts';
import type { ViewStore } from '../../../../shared/ports/view-store.ts';
import { mergedViews, type WindowAnswer } from '../../../shared/support/merged-views.ts';
import { sortedPanes } from '../../../shared/support/sorted-panes.ts';
import type { Pane } from '../../../../shared/compute/pane.ts';

/** What a namespace holds, as plain data that compares with toEqual: panes and checkpoints per partition, and the windows served from them. */
export interface ViewSnapshot {
  /** Stored panes of each partition, in a canonical order. */
  readonly panes: Record<number, Pane[]>;
  readonly checkpoints: Record<number, { readonly nextOffset: number; readonly maxEventTime: number | null; readonly stats: PartitionStats }>;
  /** Every view's windows merged over all partitions (what serving answers). */
  readonly windows: Record<string, WindowAnswer[]>;
}

/** Reads a namespace of `views` for the partitions 0..partitions-1. */
export async function viewSnapshot(views: ViewStore, namespace: string, pipeline: Pipeline, partitions: number): Promise<ViewSnapshot> {
  const panes: Record<number, Pane[]> = {};
  const all: Pane[] = [];
  for (let p = 0; p < partitions; p++) {
    const stored = await views.partitionPanes(namespace, p, Number.MIN_SAFE_INTEGER);
    panes[p] = sortedPanes(stored);
    all.push(...panes[p]);
  }
  const checkpoints: ViewSnapshot['checkpoints'] = {};
  for (const [p, c] of await views.checkpoints(namespace)) checkpoints[p] = { nextOffset: c.nextOffset, maxEventTime: c.maxEventTime, stats: { ...c.stats } };
  return { panes, checkpoints, windows: mergedViews(pipeline, all) };
}
