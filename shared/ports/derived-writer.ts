import { LkError } from '../errors.ts';
import type { AppendRecord, LogHeaders, LogRecord } from './event-log.ts';

/**
 * Records derived from one partition of a source topic (the speed layer's dead-letter and late
 * records), written exactly once per source offset: the port concept behind
 * `EventLog.openDerivedWriter`.
 *
 * Contract (each adapter keeps it its own way, see embedded-log.ts and kafka-log.ts):
 * - a record derived from source partition p goes to partition p of its topic, so each derived
 *   partition holds the records of one source partition in source-offset order;
 * - opening a writer fences every earlier writer of the same source partition and topics (in
 *   this process or another): their appends fail with WriterFencedError and write nothing;
 * - a writer appends only records whose source offset is above the highest one its topics already
 *   hold for that source partition: after a crash between an append and the caller's own commit,
 *   the caller reprocesses from its checkpoint and the repeats are skipped;
 * - one append is all or nothing per topic (Kafka: across its topics too, one transaction); a
 *   failed append may be retried on the same writer, which then first re-learns what was written.
 */
export interface DerivedWriter {
  /** Appends the records not written yet, in order; resolves once they are durable. */
  append(records: readonly DerivedRecord[]): Promise<void>;
  /** Releases the writer (another may open without fencing anything in flight). */
  close(): Promise<void>;
}

/** What a derived writer writes for: one partition of a source topic, into these topics. */
export interface DerivedOutput {
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly topics: readonly string[];
}

/** One record for one of the writer's topics, derived from the source record at `sourceOffset`. */
export interface DerivedRecord {
  readonly topic: string;
  readonly sourceOffset: number;
  readonly record: AppendRecord;
}

/** Headers every derived record carries, naming its source record (what a reader groups repeats by). */
export const SOURCE_TOPIC_HEADER = 'lk-source-topic';
export const SOURCE_PARTITION_HEADER = 'lk-source-partition';
export const SOURCE_OFFSET_HEADER = 'lk-source-offset';

/** The record as appended: its own headers and the source headers. */
export function withSourceHeaders(output: DerivedOutput, d: DerivedRecord): AppendRecord {
  const headers: LogHeaders = {
    ...d.record.headers,
    [SOURCE_TOPIC_HEADER]: output.sourceTopic,
    [SOURCE_PARTITION_HEADER]: String(output.sourcePartition),
    [SOURCE_OFFSET_HEADER]: String(d.sourceOffset),
  };
  return { ...d.record, headers };
}

/** The source offset a stored record was derived from, when it was derived from `output`'s source partition. */
export function sourceOffsetOf(output: DerivedOutput, r: LogRecord): number | undefined {
  const h = r.headers;
  if (h[SOURCE_TOPIC_HEADER] !== output.sourceTopic || h[SOURCE_PARTITION_HEADER] !== String(output.sourcePartition)) return undefined;
  const offset = Number(h[SOURCE_OFFSET_HEADER]);
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
}

/** Checks an append's records: known topics, whole source offsets, each topic's in increasing order (what makes "highest written" mean "all below written"). */
export function checkDerivedRecords(output: DerivedOutput, records: readonly DerivedRecord[]): void {
  const last = new Map<string, number>();
  for (const d of records) {
    if (!output.topics.includes(d.topic)) throw new LkError(`derived record for topic "${d.topic}", which this writer (${output.topics.join(', ')}) does not write: open a writer for it`);
    if (!Number.isSafeInteger(d.sourceOffset) || d.sourceOffset < 0) throw new LkError(`derived record with source offset ${d.sourceOffset}: give the whole offset >= 0 of its source record`);
    if (d.sourceOffset < (last.get(d.topic) ?? -1)) throw new LkError(`derived records for "${d.topic}" out of source order (${d.sourceOffset} after ${last.get(d.topic)}): append them in source-offset order`);
    last.set(d.topic, d.sourceOffset);
  }
}
