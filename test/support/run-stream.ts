import { PartitionProcessor } from '../../shared/compute/partition-processor.ts';
import type { Pipeline } from '../../shared/compute/pipeline.ts';
import type { GeneratedRecord } from '../../workload/messy-workload.ts';

/**
 * Feeds generated records to one PartitionProcessor per partition, as the stream job would (a
 * key's records stay in one partition, in send order); returns the processors' totals and the
 * records they judged too late.
 */
export function runStream(pipeline: Pipeline, records: readonly GeneratedRecord[], partitions: number) {
  const procs = Array.from({ length: partitions }, (_, p) => new PartitionProcessor(pipeline, p));
  const next = new Array<number>(partitions).fill(0);
  const late = new Set<GeneratedRecord>();
  const byOffset = procs.map(() => [] as GeneratedRecord[]);
  records.forEach((r, i) => {
    const p = r.key === null ? i % partitions : hash(r.key) % partitions;
    byOffset[p].push(r);
    procs[p].process({ partition: p, offset: next[p]++, timestamp: r.timestamp, value: r.value });
    // Flushing as the stream job does between batches (expiring dedup ids, evicting panes) must not change verdicts.
    if (i % 500 === 0) for (const l of procs[p].flush().late) late.add(byOffset[p][l.record.offset]);
  });
  const totals = { valid: 0, deadLetter: 0, duplicate: 0, tooLate: 0 };
  procs.forEach((proc, p) => {
    for (const l of proc.flush().late) late.add(byOffset[p][l.record.offset]);
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += proc.stats[k];
  });
  return { totals, late };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
