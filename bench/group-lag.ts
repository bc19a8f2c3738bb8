import type { PartitionOffsets } from '../shared/ports/event-log.ts';

/**
 * Records a consumer group still has to commit: per partition the end offset minus the stored
 * checkpoint's next offset (a partition without a checkpoint lags by all it holds). 0 is caught up.
 */
export function groupLag(end: PartitionOffsets, checkpoints: ReadonlyMap<number, { readonly nextOffset: number }>): number {
  let lag = 0;
  for (const [partition, e] of end) lag += Math.max(0, e - (checkpoints.get(partition)?.nextOffset ?? 0));
  return lag;
}
