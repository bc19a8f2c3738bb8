import type { EventLog, PartitionOffsets } from '../shared/ports/event-log.ts';
import type { StreamStart } from './stream-job.ts';

/**
 * Each partition's offset at a start position, through the EventLog port: the one reading of
 * `earliest`, `latest`, a timestamp or explicit offsets (an offset outside the log falls back to
 * its beginning or end) that the stream job and a savepoint's new views share.
 */
export async function startOffsets(log: EventLog, topic: string, from: StreamStart): Promise<PartitionOffsets> {
  switch (from.kind) {
    case 'earliest':
      return log.beginningOffsets(topic);
    case 'latest':
      return log.endOffsets(topic);
    case 'timestamp':
      return log.offsetsForTimestamp(topic, from.timestamp);
    case 'offsets': {
      const [low, high] = await Promise.all([log.beginningOffsets(topic), log.endOffsets(topic)]);
      const out = new Map<number, number>();
      for (const [p, end] of high) {
        const begin = low.get(p) ?? 0;
        const o = from.offsets.get(p);
        out.set(p, o !== undefined && o >= begin && o <= end ? o : from.fallback === 'earliest' ? begin : end);
      }
      return out;
    }
  }
}
