import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TopicNames } from '../shared/config.ts';
import type { Event } from '../shared/model/event.ts';
import { readTopicToEnd, type EventLog } from '../shared/ports/event-log.ts';

/**
 * The too-late events the stream set aside, read back from the late topic (side-outputs.ts writes
 * it, with each record's original value and append time): none when the topic does not exist
 * (no job writes side outputs over this log).
 */
export async function readLateEvents(log: EventLog, topics: TopicNames, pipeline: Pipeline): Promise<Event[]> {
  const out: Event[] = [];
  await readTopicToEnd(log, topics.late, (r) => {
    const v = pipeline.validator.validateRecord(r.value, r.timestamp);
    if (v.ok) out.push(v.event);
  });
  return out;
}
