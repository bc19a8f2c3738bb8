import { describe, expect, it } from 'vitest';
import { completeBefore, type ArchivedPartition } from '../../batch/archive-progress.ts';
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
