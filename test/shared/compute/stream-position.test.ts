import { describe, expect, it } from 'vitest';
import type { PartitionCheckpoint } from '../../../shared/compute/partition-processor.ts';
import { streamPosition } from '../../../shared/compute/stream-position.ts';

const policy = { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: 5_000 };
const cp = (partition: number, maxEventTime: number | null, valid = 1): PartitionCheckpoint => ({
  partition,
  nextOffset: 10 * (partition + 1),
  maxEventTime,
  stats: { valid, deadLetter: 1, duplicate: 2, tooLate: 3 },
});

describe('streamPosition', () => {
  it('takes the watermark and lateness bound of the slowest partition and the newest event of any', () => {
    const p = streamPosition([cp(0, 1_000_000), cp(1, 400_000, 5)], policy);
    expect(p).toEqual({
      partitions: 2,
      maxEventTime: 1_000_000,
      watermark: 395_000,
      lateBefore: 335_000,
      settledBefore: 335_000,
      nextOffsets: 30,
      totals: { valid: 6, deadLetter: 2, duplicate: 4, tooLate: 6 },
    });
  });

  it('lets a partition silent for longer than the idle timeout (by append times) stop holding finality back', () => {
    const idle = { ...policy, idleTimeoutMs: 600_000 };
    const silent: PartitionCheckpoint = { ...cp(0, 400_000), lastAppendTime: 400_000 };
    const alive = (t: number): PartitionCheckpoint => ({ ...cp(1, t), lastAppendTime: t });
    expect(streamPosition([silent, alive(1_000_000)], idle)).toMatchObject({ watermark: 395_000, lateBefore: 335_000 });
    expect(streamPosition([silent, alive(1_000_001)], idle)).toMatchObject({ watermark: 995_001, lateBefore: 935_001 });
    // The strict bound (what alerts read) waits for the idle partition all the same.
    expect(streamPosition([silent, alive(1_000_001)], idle).settledBefore).toBe(335_000);
  });

  it('takes each watermark from the checkpoint\'s watermark progress, not from its max event time (an outlier)', () => {
    const outlier: PartitionCheckpoint = { ...cp(0, 90_000_000), watermarkProgress: 1_000_000 };
    expect(streamPosition([outlier], policy)).toMatchObject({ maxEventTime: 90_000_000, watermark: 995_000, lateBefore: 935_000 });
  });

  it('holds everything open while a partition has seen no event, or before any checkpoint', () => {
    expect(streamPosition([cp(0, 1_000_000), cp(1, null)], policy)).toMatchObject({ maxEventTime: 1_000_000, watermark: -Infinity, lateBefore: -Infinity });
    expect(streamPosition([], policy)).toMatchObject({ partitions: 0, maxEventTime: -Infinity, watermark: -Infinity, lateBefore: -Infinity, settledBefore: -Infinity });
  });
});
