import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TopicNames } from '../shared/config.ts';
import type { Event } from '../shared/model/event.ts';
import type { EventLog } from '../shared/ports/event-log.ts';

/**
 * The too-late events the stream set aside, read back from the late topic (side-outputs.ts writes
 * it, with each record's original value and append time): none when the topic does not exist
 * (no job writes side outputs over this log).
 */
export async function readLateEvents(log: EventLog, topics: TopicNames, pipeline: Pipeline): Promise<Event[]> {
  const exists = await log.partitionCount(topics.late).then((n) => n > 0, () => false);
  if (!exists) return [];
  const out: Event[] = [];
  const sub = await log.consume({
    topic: topics.late,
    from: { kind: 'earliest' },
    stopAtEnd: true,
    onBatch: async (b) => {
      for (const r of b.records) {
        const v = pipeline.validator.validateRecord(r.value, r.timestamp);
        if (v.ok) out.push(v.event);
      }
    },
  });
  await sub.done;
  return out;
}
