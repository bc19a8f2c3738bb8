import type { EventLog, PartitionOffsets } from '../shared/ports/event-log.ts';
import { ingestedLine } from './ingest-provenance.ts';

/**
 * The input lines from `firstLine` on that run `runId` appended to `topic` at or after `from` (end
 * offsets read before those lines were sent), read back to the topic's current end. After a send
 * that failed part-way (some produce requests written, their acknowledgement lost), this is what
 * reached the log, so a retry sends only the rest. A partition missing from `from` is read from
 * its beginning.
 */
export async function landedLines(log: EventLog, topic: string, from: PartitionOffsets, runId: string, firstLine: number): Promise<Set<number>> {
  const landed = new Set<number>();
  const sub = await log.consume({
    topic,
    from: { kind: 'offsets', offsets: from, fallback: 'earliest' },
    stopAtEnd: true,
    onBatch: async (batch) => {
      for (const r of batch.records) {
        const line = ingestedLine(r, runId);
        if (line !== undefined && line >= firstLine) landed.add(line);
      }
    },
  });
  await sub.done;
  return landed;
}
