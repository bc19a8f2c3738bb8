import { describe, expect, it } from 'vitest';
import { archivedCounts, completeBefore, COUNT_RETENTION_MS, PartitionWatermark, type ArchivedPartition } from '../../batch/archive-progress.ts';
import { DEFAULT_LATENESS } from '../../shared/compute/pipeline.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';

const T = Date.UTC(2026, 2, 1, 9);
const DELAY = 5 * 60_000;
/** A partition archived up to one valid event at `t`, appended at `t`. */
const at = (t: number): ArchivedPartition => ({ nextOffset: 10, maxEventTime: t, watermarkProgress: t, lastAppendTime: t });

describe('completeBefore (which hours the batch layer may publish)', () => {
  it('is held back by the slowest partition while it is alive', () => {
    const progress = new Map([[0, at(T + 3 * HOUR_MS)], [1, at(T + 3 * HOUR_MS - 5 * 60_000)]]);
    expect(completeBefore(progress, DEFAULT_LATENESS, DELAY)).toBe(T + 3 * HOUR_MS - 5 * 60_000 - DEFAULT_LATENESS.maxOutOfOrdernessMs - DELAY);
  });

  it('is not held back by a partition that has been silent for longer than the idle timeout: the other partitions complete their hours', () => {
    // Partition 1 received its last event five minutes into the run; partition 0 goes on for three hours.
    const progress = new Map([[0, at(T + 3 * HOUR_MS)], [1, at(T + 5 * 60_000)]]);
    expect(completeBefore(progress, DEFAULT_LATENESS, DELAY)).toBe(T + 3 * HOUR_MS - DEFAULT_LATENESS.maxOutOfOrdernessMs - DELAY);
    // Without an idle timeout the silent partition holds every later hour back, as before.
    expect(completeBefore(progress, { ...DEFAULT_LATENESS, idleTimeoutMs: undefined }, DELAY)).toBe(T + 5 * 60_000 - DEFAULT_LATENESS.maxOutOfOrdernessMs - DELAY);
  });
});

describe('hour counts (what the quality gate compares an hour with)', () => {
  it('counts valid records by event hour and dead letters by append hour, carried on from the stored progress', () => {
    const wm = new PartitionWatermark(DEFAULT_LATENESS, undefined, 0);
    wm.observe(0, T + 10, T + 20);
    wm.observe(1, T + HOUR_MS - 1, T + HOUR_MS + 5);
    wm.skip(2, T + HOUR_MS + 7);
    wm.skip(3);
    expect(wm.snapshot().counts).toEqual({ valid: { [String(T)]: 2 }, invalid: { [String(T + HOUR_MS)]: 1 } });
    const resumed = new PartitionWatermark(DEFAULT_LATENESS, wm.snapshot(), 4);
    resumed.observe(4, T + HOUR_MS, T + HOUR_MS);
    const stored = resumed.snapshot();
    expect(stored.counts).toEqual({ valid: { [String(T)]: 2, [String(T + HOUR_MS)]: 1 }, invalid: { [String(T + HOUR_MS)]: 1 } });
    const progress = new Map([[0, stored], [1, stored], [2, at(T)]]);
    expect(archivedCounts(progress, T, HOUR_MS)).toEqual({ valid: 4, invalid: 0 });
    expect(archivedCounts(progress, T, 2 * HOUR_MS)).toEqual({ valid: 6, invalid: 2 });
    // Counts are per hour: a shorter bucket cannot be told.
    expect(archivedCounts(progress, T, HOUR_MS / 2)).toBeNull();
  });

  it('drops hours more than the retention behind the newest', () => {
    const wm = new PartitionWatermark(DEFAULT_LATENESS, undefined, 0);
    wm.observe(0, T, T);
    wm.observe(1, T + COUNT_RETENTION_MS, T + COUNT_RETENTION_MS);
    expect(Object.keys(wm.snapshot().counts!.valid)).toEqual([String(T + COUNT_RETENTION_MS)]);
  });
});
