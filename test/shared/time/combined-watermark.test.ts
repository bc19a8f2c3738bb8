import { describe, expect, it } from 'vitest';
import { combinedWatermark } from '../../../shared/time/combined-watermark.ts';
import { NO_APPEND_TIME, Watermark } from '../../../shared/time/watermark.ts';

const MIN = 60_000;
const policy = { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: 5_000, idleTimeoutMs: 10 * MIN };
const T = Date.UTC(2026, 2, 1, 9);

/** A partition that read one valid event at `eventTime`, appended at `appendTime`. */
function partition(eventTime: number, appendTime: number): Watermark {
  const wm = new Watermark(policy);
  wm.observe(eventTime, appendTime);
  return wm;
}

describe('combinedWatermark', () => {
  it('is the minimum over partitions while every one of them is alive', () => {
    const busy = partition(T + 30 * MIN, T + 30 * MIN);
    const slower = partition(T + 25 * MIN, T + 25 * MIN);
    expect(combinedWatermark([busy, slower])).toBe(T + 25 * MIN - 5_000);
  });

  it('leaves out a partition silent for longer than the idle timeout (by the log append times), and only then', () => {
    const silent = partition(T, T);
    // The newest record of the log is appended exactly idleTimeout after the silent partition's last: not idle yet.
    expect(combinedWatermark([partition(T + 10 * MIN, T + 10 * MIN), silent])).toBe(T - 5_000);
    // 1 ms later it is idle, and the busy partition alone decides.
    expect(combinedWatermark([partition(T + 10 * MIN + 1, T + 10 * MIN + 1), silent])).toBe(T + 10 * MIN + 1 - 5_000);
  });

  it('never calls a partition idle without a timeout, or when its append times are unknown', () => {
    const noTimeout = { ...policy, idleTimeoutMs: undefined };
    const silent = new Watermark(noTimeout);
    silent.observe(T, T);
    const busy = new Watermark(noTimeout);
    busy.observe(T + 60 * MIN, T + 60 * MIN);
    expect(combinedWatermark([busy, silent])).toBe(T - 5_000);
    // A checkpoint written before append times were kept: progress T, append time unknown.
    const unknown = new Watermark(policy, T, T);
    expect(combinedWatermark([partition(T + 60 * MIN, T + 60 * MIN), unknown])).toBe(T - 5_000);
    // Events not read from a log (no append time) make no partition idle either.
    expect(combinedWatermark([partition(T + 60 * MIN, NO_APPEND_TIME), partition(T, NO_APPEND_TIME)])).toBe(T - 5_000);
  });
});
