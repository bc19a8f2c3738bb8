import type { TooLateRecord } from '../shared/compute/late-footprint.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TopicNames } from '../shared/config.ts';
import type { Event } from '../shared/model/event.ts';
import { SOURCE_OFFSET_HEADER, SOURCE_PARTITION_HEADER } from '../shared/ports/derived-writer.ts';
import { readTopicToEnd, type EventLog } from '../shared/ports/event-log.ts';

/**
 * The too-late events the stream set aside, read back from the late topic (side-outputs.ts writes
 * it, with each record's original value and append time): none when the topic does not exist
 * (no job writes side outputs over this log).
 */
export async function readLateEvents(log: EventLog, topics: TopicNames, pipeline: Pipeline): Promise<Event[]> {
  return (await readLateRecords(log, topics, pipeline)).map((r) => r.event);
}

/** The late topic's records with what their headers say: source partition and offset, and the bound each missed. */
export async function readLateRecords(log: EventLog, topics: TopicNames, pipeline: Pipeline): Promise<TooLateRecord[]> {
  const out: TooLateRecord[] = [];
  const int = (v: string | undefined) => (v === undefined || !/^\d+$/.test(v) ? null : Number(v));
  await readTopicToEnd(log, topics.late, (r) => {
    const v = pipeline.validator.validateRecord(r.value, r.timestamp);
    if (!v.ok) return;
    const bound = r.headers['lk-late-before'] === undefined ? Number.NaN : Date.parse(r.headers['lk-late-before']);
    out.push({ event: v.event, sourcePartition: int(r.headers[SOURCE_PARTITION_HEADER]), sourceOffset: int(r.headers[SOURCE_OFFSET_HEADER]), lateBefore: Number.isNaN(bound) ? null : bound });
  });
  return out;
}
