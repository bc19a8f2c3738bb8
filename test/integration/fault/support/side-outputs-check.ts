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

/** What a side topic holds per source record: its reason, and how many copies (a crash between the append and the view commit repeats one). */
export interface SideTopicContents {
  /** Reason header by source id. */
  readonly reasons: Map<SourceId, string>;
  /** Copies beyond the first, over all source ids. */
  readonly repeats: number;
  /** Source ids whose copies differ (value or reason): never expected. */
  readonly inconsistent: SourceId[];
}

/** Groups a dead-letter or late topic by the source headers (lk-source-partition/-offset) of `sourceTopic`. */
export function bySource(records: readonly LogRecord[], sourceTopic: string): SideTopicContents {
  const reasons = new Map<SourceId, string>();
  const values = new Map<SourceId, string>();
  const inconsistent: SourceId[] = [];
  let repeats = 0;
  for (const r of records) {
    if (r.headers['lk-source-topic'] !== sourceTopic) {
      inconsistent.push(`foreign:${r.headers['lk-source-topic']}`);
      continue;
    }
    const id = `${r.headers['lk-source-partition']}:${r.headers['lk-source-offset']}`;
    const reason = r.headers['lk-reason'];
    if (reasons.has(id)) {
      repeats++;
      if (reasons.get(id) !== reason || values.get(id) !== r.value) inconsistent.push(id);
    } else {
      reasons.set(id, reason);
      values.set(id, r.value);
    }
  }
  return { reasons, repeats, inconsistent };
}
