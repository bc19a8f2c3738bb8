import type { PartitionOffsets, StartPosition } from '../../shared/ports/event-log.ts';
import type { PartitionFile } from './partition-file.ts';

/**
 * Where a consumer starts in one partition, as the EventLog port documents each StartPosition.
 * `committed` is the group's committed offsets (empty without a group). An offset outside the
 * partition (a log that was reset) takes the fallback, as Kafka's auto.offset.reset would.
 */
export async function startOffset(from: StartPosition, file: PartitionFile, committed: PartitionOffsets): Promise<number> {
  const end = file.endOffset;
  const fallback = (f: 'earliest' | 'latest') => (f === 'earliest' ? 0 : end);
  const inRange = (o: number | undefined) => o !== undefined && o >= 0 && o <= end;
  switch (from.kind) {
    case 'earliest':
      return 0;
    case 'latest':
      return end;
    case 'timestamp':
      return file.offsetForTimestamp(from.timestamp);
    case 'committed': {
      const o = committed.get(file.partition);
      return inRange(o) ? o! : fallback(from.fallback);
    }
    case 'offsets': {
      const o = from.offsets.get(file.partition);
      return inRange(o) ? o! : fallback(from.fallback);
    }
  }
}
