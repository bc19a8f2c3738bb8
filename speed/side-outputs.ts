import type { DeadLetter, LateEvent } from '../shared/compute/partition-processor.ts';
import type { TopicNames } from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import type { DerivedRecord, DerivedWriter } from '../shared/ports/derived-writer.ts';
import type { AppendRecord, EventLog } from '../shared/ports/event-log.ts';

/**
 * The speed layer's bad-record policy (Kafka Streams' DeserializationExceptionHandler, CONTINUE):
 * invalid records go to the dead-letter topic and too-late events to the late topic, each with
 * headers naming the reason and the source topic, partition and offset. Nothing is dropped
 * silently, and nothing is written twice: side records of source partition p go to partition p
 * of each side topic through that partition's derived writer (shared/ports/derived-writer.ts),
 * which fences any earlier writer of p and skips the source offsets already written. So they can
 * still be appended before the view commit (never lost): after a crash in between, the job
 * reprocesses from its checkpoint and the repeats are skipped, exactly once per source offset.
 * The same holds for a member that lost its partitions in a rebalance and still works on them: the
 * new owner's writer fenced it, so its appends fail and write nothing.
 */

/** Creates the side topics with the events topic's partition count; refuses one with fewer partitions (saying what to do). */
export async function ensureSideTopics(log: EventLog, topics: TopicNames): Promise<void> {
  const partitions = await log.partitionCount(topics.events);
  for (const side of [topics.deadLetter, topics.late]) {
    const has = await log.ensureTopic(side, partitions);
    if (has < partitions) {
      throw new ConfigError(
        `side-output topic ${side} has ${has} partition${has === 1 ? '' : 's'}, fewer than the ${partitions} of ${topics.events}: the side records of source partition p go to its partition p. ` +
          `Add partitions to it (on Kafka: kafka-topics.sh --alter --topic ${side} --partitions ${partitions}), or delete it (its records are lost; it is created again), or run with --no-side-outputs`,
      );
    }
  }
}

/** Opens the side-output writer of one partition of the events topic: fences the previous one, learns what is written. */
export function openSideOutputWriter(log: EventLog, topics: TopicNames, partition: number): Promise<DerivedWriter> {
  return log.openDerivedWriter({ sourceTopic: topics.events, sourcePartition: partition, topics: [topics.deadLetter, topics.late] });
}

/** The side records of one partition's change set, for its writer. */
export function sideRecords(topics: TopicNames, deadLetters: readonly DeadLetter[], late: readonly LateEvent[]): DerivedRecord[] {
  return [
    ...deadLetters.map((d) => ({ topic: topics.deadLetter, sourceOffset: d.record.offset, record: deadLetterRecord(d) })),
    ...late.map((l) => ({ topic: topics.late, sourceOffset: l.record.offset, record: lateRecord(l) })),
  ];
}

/** Dead-letter records keep the raw value, cut to this many characters (an oversized record would not fit a topic). */
export const DEAD_LETTER_VALUE_LIMIT = 16 * 1024;

/** The source headers (topic, partition, offset) are the writer's to add. */
function deadLetterRecord(d: DeadLetter): AppendRecord {
  const value = d.record.value.length > DEAD_LETTER_VALUE_LIMIT ? d.record.value.slice(0, DEAD_LETTER_VALUE_LIMIT) : d.record.value;
  return {
    key: null,
    value,
    timestamp: d.record.timestamp,
    // The source record's own headers come along (lk ingest's provenance: the input file and line).
    headers: {
      ...(d.record.headers ?? {}),
      'lk-reason': d.rejection.code,
      'lk-message': d.rejection.message.slice(0, 500),
      'lk-truncated': String(value.length !== d.record.value.length),
    },
  };
}

function lateRecord(l: LateEvent): AppendRecord {
  return {
    key: l.logKey,
    value: l.record.value,
    timestamp: l.record.timestamp,
    headers: {
      ...(l.record.headers ?? {}),
      'lk-reason': 'too_late',
      'lk-late-before': new Date(l.lateBefore).toISOString(),
      'lk-event-time': new Date(l.eventTime).toISOString(),
    },
  };
}
