import type { Pipeline } from '../../../../shared/compute/pipeline.ts';
import { validateRecord } from '../../../support/ecommerce.ts';
import type { EventLog, LogRecord } from '../../../../shared/ports/event-log.ts';

/** Every record of a topic, from the start to its end as it is now (no group). */
export async function readTopic(log: EventLog, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  await (await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) })).done;
  return out;
}

/** "partition:offset" of a record of the events topic. */
export type SourceId = string;

/** The bad records of the events topic, by source id, with the reason the shared validator gives. */
export function expectedDeadLetters(events: readonly LogRecord[], pipeline: Pipeline): Map<SourceId, string> {
  const out = new Map<SourceId, string>();
  for (const r of events) {
    const v = validateRecord(r.value, r.timestamp, pipeline.config.limits);
    if (!v.ok) out.set(`${r.partition}:${r.offset}`, v.rejection.code);
  }
  return out;
}

/** What a side topic holds per source record: its reason, and any copies (side outputs are exactly once: none expected). */
export interface SideTopicContents {
  /** Reason header by source id. */
  readonly reasons: Map<SourceId, string>;
  /** Source ids held more than once, each as often as it was repeated. */
  readonly repeated: SourceId[];
  /** Records of another source topic, or on a partition other than their source partition's: never expected. */
  readonly misplaced: string[];
}

/** Groups a dead-letter or late topic by the source headers (lk-source-partition/-offset) of `sourceTopic`. */
export function bySource(records: readonly LogRecord[], sourceTopic: string): SideTopicContents {
  const reasons = new Map<SourceId, string>();
  const repeated: SourceId[] = [];
  const misplaced: string[] = [];
  for (const r of records) {
    const id = `${r.headers['lk-source-partition']}:${r.headers['lk-source-offset']}`;
    if (r.headers['lk-source-topic'] !== sourceTopic || r.headers['lk-source-partition'] !== String(r.partition)) {
      misplaced.push(`${r.headers['lk-source-topic']} ${id} on partition ${r.partition}`);
      if (r.headers['lk-source-topic'] !== sourceTopic) continue;
    }
    if (reasons.has(id)) repeated.push(id);
    else reasons.set(id, r.headers['lk-reason']);
  }
  return { reasons, repeated, misplaced };
}
