import { PartitionProcessor, type ChangeSet, type SourceRecord } from '../../../shared/compute/partition-processor.ts';
import type { Pipeline } from '../../../shared/compute/pipeline.ts';
import type { Random } from '../../../workload/random.ts';
import { PaneStore } from './pane-store.ts';

/** What running a workload through one processor per partition produced. */
export interface PartitionRun {
  readonly store: PaneStore;
  readonly processors: Map<number, PartitionProcessor>;
  /** Every change set, in flush order. */
  readonly changes: ChangeSet[];
}

/**
 * Feeds records to one PartitionProcessor per partition, as the stream job does, flushing each
 * partition at random points (so merges that retire stored panes cross flushes) and at the end,
 * and applies every change set to a store.
 */
export function runPartitions(pipeline: Pipeline, records: readonly { readonly record: SourceRecord }[], rng: Random, flushChance = 0.02): PartitionRun {
  const store = new PaneStore();
  const processors = new Map<number, PartitionProcessor>();
  const changes: ChangeSet[] = [];
  const flush = (p: PartitionProcessor) => {
    const c = p.flush();
    changes.push(c);
    store.apply(c);
  };
  for (const { record } of records) {
    let p = processors.get(record.partition);
    if (!p) processors.set(record.partition, (p = new PartitionProcessor(pipeline, record.partition)));
    p.process(record);
    if (rng.chance(flushChance)) flush(p);
  }
  for (const p of processors.values()) flush(p);
  return { store, processors, changes };
}
