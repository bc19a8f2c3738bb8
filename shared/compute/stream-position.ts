import { checkpointWatermark, emptyStats, type PartitionCheckpoint, type PartitionStats } from './partition-processor.ts';
import { combinedWatermark } from '../time/combined-watermark.ts';
import { NO_WATERMARK, type LatenessPolicy, type Watermark } from '../time/watermark.ts';

/** How far a streaming namespace has got, from its checkpoints. Times are epoch ms; -Infinity means "nothing yet". */
export interface StreamPosition {
  readonly partitions: number;
  /** Latest event time seen in any partition. */
  readonly maxEventTime: number;
  /** Min over partitions of the watermark (see Watermark): the stream as a whole is no earlier than this. */
  readonly watermark: number;
  /** Min over partitions of the lateness bound: a window ending at or before it can change no more (final). */
  readonly lateBefore: number;
  /**
   * Min over every partition of the lateness bound, idle ones included: a window ending by it is
   * final even when an idle partition wakes up with older events (its own bound judges them). What
   * alerts read, which must never fire on a window that can still change (alert-rule.ts).
   */
  readonly settledBefore: number;
  /** Sum over partitions of the next offsets (records read). */
  readonly nextOffsets: number;
  readonly totals: PartitionStats;
}

/**
 * Summarises a namespace's checkpoints. The watermark is the minimum over partitions, as Flink
 * takes the minimum over inputs: lateness is judged per partition, so the slowest partition decides
 * what may still change, except that an idle partition (combined-watermark.ts) does not hold it
 * back. A partition with a checkpoint but no event yet holds it at -Infinity
 * (its first event may have any time), and so does a namespace with no checkpoint. Partitions the
 * job has never committed are invisible here (the view store does not know the topic's size).
 */
export function streamPosition(checkpoints: Iterable<PartitionCheckpoint>, policy: LatenessPolicy): StreamPosition {
  let partitions = 0;
  let maxEventTime = NO_WATERMARK;
  let nextOffsets = 0;
  const totals = emptyStats();
  const watermarks: Watermark[] = [];
  for (const cp of checkpoints) {
    partitions++;
    const wm = checkpointWatermark(policy, cp);
    watermarks.push(wm);
    if (wm.maxEventTime > maxEventTime) maxEventTime = wm.maxEventTime;
    nextOffsets += cp.nextOffset;
    totals.valid += cp.stats.valid;
    totals.deadLetter += cp.stats.deadLetter;
    totals.duplicate += cp.stats.duplicate;
    totals.tooLate += cp.stats.tooLate;
  }
  // Idle partitions (combined-watermark.ts) do not hold the namespace back.
  const watermark = partitions === 0 ? NO_WATERMARK : combinedWatermark(watermarks, policy.idleTimeoutMs);
  const lateBefore = partitions === 0 ? NO_WATERMARK : combinedWatermark(watermarks, policy.idleTimeoutMs, (wm) => wm.lateBefore);
  const settledBefore = watermarks.reduce((min, wm) => Math.min(min, wm.lateBefore), partitions === 0 ? NO_WATERMARK : Number.POSITIVE_INFINITY);
  return { partitions, maxEventTime, watermark, lateBefore, settledBefore, nextOffsets, totals };
}
