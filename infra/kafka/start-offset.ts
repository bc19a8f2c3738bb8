import { LkError } from '../../shared/errors.ts';
import type { StartPosition } from '../../shared/ports/event-log.ts';

/** What the broker says about one partition when a consumer positions itself in it. */
export interface PartitionBounds {
  /** Earliest retained offset. */
  readonly low: number;
  /** The offset the next appended record gets. */
  readonly high: number;
  /** The group's committed offset, when there is a group and it committed one. */
  readonly committed?: number;
  /** First offset at or after the start position's timestamp (high when none), for `timestamp`. */
  readonly atTimestamp?: number;
}

/**
 * Where a consumer starts in one partition, as the EventLog port documents each StartPosition.
 * `preferCommitted` makes a committed offset win over `from` (a group member continuing where the
 * group is). An offset outside [low, high] (records deleted by retention, or a topic recreated)
 * takes the fallback, as Kafka's auto.offset.reset does.
 */
export function startOffset(from: StartPosition, partition: number, b: PartitionBounds, preferCommitted: boolean): number {
  const inRange = (o: number | undefined): o is number => o !== undefined && o >= b.low && o <= b.high;
  if ((preferCommitted || from.kind === 'committed') && inRange(b.committed)) return b.committed;
  switch (from.kind) {
    case 'earliest':
      return b.low;
    case 'latest':
      return b.high;
    case 'timestamp':
      if (b.atTimestamp === undefined) throw new LkError(`partition ${partition}: no offset for timestamp ${from.timestamp} was looked up`);
      return b.atTimestamp;
    case 'committed':
      return from.fallback === 'earliest' ? b.low : b.high;
    case 'offsets': {
      const o = from.offsets.get(partition);
      if (inRange(o)) return o;
      return from.fallback === 'earliest' ? b.low : b.high;
    }
  }
}

/**
 * Checks an offset `onAssigned` asked for (a checkpoint of derived views). Outside the partition
 * it cannot be honoured without losing or inventing records, so it is an error, not a fallback.
 */
export function checkSoughtOffset(topic: string, partition: number, offset: number, b: PartitionBounds): number {
  if (!Number.isSafeInteger(offset) || offset < b.low || offset > b.high) {
    throw new LkError(
      `onAssigned asked to start partition ${partition} of ${topic} at offset ${offset}, outside ${b.low}..${b.high}: ` +
        'the log was reset, replaced or truncated by retention; rebuild the views that stored this position',
    );
  }
  return offset;
}
