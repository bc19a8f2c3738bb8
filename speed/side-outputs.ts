import type { DeadLetter, LateEvent } from '../shared/compute/partition-processor.ts';
import type { TopicNames } from '../shared/config.ts';
import type { AppendRecord, EventLog } from '../shared/ports/event-log.ts';

/**
 * The speed layer's bad-record policy (Kafka Streams' DeserializationExceptionHandler, CONTINUE):
 * invalid records go to the dead-letter topic and too-late events to the late topic, each with
 * headers naming the reason and the source topic, partition and offset. Nothing is dropped
 * silently. Appended before the view commit, so a crash can repeat a side record (at-least-once;
 * the source headers identify repeats) but never lose one.
 */
export async function writeSideOutputs(
  log: EventLog,
  topics: TopicNames,
  deadLetters: readonly DeadLetter[],
  late: readonly LateEvent[],
  /** Runs each append (one per topic), e.g. retrying it while the log is unavailable; once by default. */
  attempt: (append: () => Promise<void>) => Promise<void> = (append) => append(),
): Promise<void> {
  if (deadLetters.length > 0) {
    const records = deadLetters.map((d) => deadLetterRecord(topics.events, d));
    await attempt(() => log.append(topics.deadLetter, records));
  }
  if (late.length > 0) {
    const records = late.map((l) => lateRecord(topics.events, l));
    await attempt(() => log.append(topics.late, records));
  }
}

/** Dead-letter records keep the raw value, cut to this many characters (an oversized record would not fit a topic). */
export const DEAD_LETTER_VALUE_LIMIT = 16 * 1024;

function deadLetterRecord(sourceTopic: string, d: DeadLetter): AppendRecord {
  const value = d.record.value.length > DEAD_LETTER_VALUE_LIMIT ? d.record.value.slice(0, DEAD_LETTER_VALUE_LIMIT) : d.record.value;
  return {
    key: null,
    value,
    timestamp: d.record.timestamp,
    headers: {
      'lk-reason': d.rejection.code,
      'lk-message': d.rejection.message.slice(0, 500),
      'lk-source-topic': sourceTopic,
      'lk-source-partition': String(d.record.partition),
      'lk-source-offset': String(d.record.offset),
      'lk-truncated': String(value.length !== d.record.value.length),
    },
  };
}

function lateRecord(sourceTopic: string, l: LateEvent): AppendRecord {
  return {
    key: l.logKey,
    value: l.record.value,
    timestamp: l.record.timestamp,
    headers: {
      'lk-reason': 'too_late',
      'lk-late-before': new Date(l.lateBefore).toISOString(),
      'lk-event-time': new Date(l.eventTime).toISOString(),
      'lk-source-topic': sourceTopic,
      'lk-source-partition': String(l.record.partition),
      'lk-source-offset': String(l.record.offset),
    },
  };
}
