import { describe, expect, it } from 'vitest';
import { NO_APPEND_TIME, NO_WATERMARK, Watermark } from '../../../shared/time/watermark.ts';

const policy = { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: 5_000 };
const T = Date.UTC(2026, 0, 1, 10);
const DAY = 86_400_000;

describe('Watermark', () => {
  it('trails the max event time by the out-of-orderness bound, and lateBefore trails it by the allowed lateness', () => {
    const wm = new Watermark(policy);
    wm.observe(T, T);
    expect(wm.current).toBe(T - 5_000);
    expect(wm.lateBefore).toBe(T - 65_000);
  });

  it('accepts an event exactly at lateBefore and rejects one 1 ms earlier', () => {
    const wm = new Watermark(policy);
    wm.observe(T, T);
    expect(wm.isTooLate(wm.lateBefore)).toBe(false);
    expect(wm.isTooLate(wm.lateBefore - 1)).toBe(true);
  });

  it('never moves back: an older event does not lower it', () => {
    const wm = new Watermark(policy);
    wm.observe(T, T);
    wm.observe(T - 30_000, T + 1_000);
    expect(wm.maxEventTime).toBe(T);
    expect(wm.current).toBe(T - 5_000);
  });

  it('finds nothing late before the first event', () => {
    const wm = new Watermark(policy);
    expect(wm.maxEventTime).toBe(NO_WATERMARK);
    expect(wm.isTooLate(0)).toBe(false);
    expect(wm.isTooLate(-1e15)).toBe(false);
    expect(wm.isFinal(T)).toBe(false);
  });

  it('calls a window final once its end is at or before lateBefore', () => {
    const wm = new Watermark(policy);
    wm.observe(T, T);
    expect(wm.isFinal(wm.lateBefore)).toBe(true);
    expect(wm.isFinal(wm.lateBefore + 1)).toBe(false);
  });

  it('resumes from a restored max event time (progress = max event time, the rule of old checkpoints)', () => {
    const wm = new Watermark(policy, T);
    expect(wm.lateBefore).toBe(T - 65_000);
  });

  it('resumes from a restored progress below the max event time', () => {
    const wm = new Watermark(policy, T + DAY, T);
    expect(wm.maxEventTime).toBe(T + DAY);
    expect(wm.current).toBe(T - 5_000);
  });

  it('with zero bounds, accepts only events at or after the max seen', () => {
    const wm = new Watermark({ maxOutOfOrdernessMs: 0, allowedLatenessMs: 0, maxAheadOfAppendMs: 0 });
    wm.observe(T, T);
    expect(wm.isTooLate(T)).toBe(false);
    expect(wm.isTooLate(T - 1)).toBe(true);
  });
});

describe('Watermark: events ahead of their append time', () => {
  it('an event a day ahead of its append time moves the watermark only to append time + tolerance', () => {
    const wm = new Watermark(policy);
    wm.observe(T + DAY, T);
    expect(wm.maxEventTime).toBe(T + DAY);
    expect(wm.progress).toBe(T + 5_000);
    expect(wm.current).toBe(T);
    // The next on-time event, at its append time, is not too late.
    expect(wm.isTooLate(T + 1_000)).toBe(false);
  });

  it('an event ahead of its append time by at most the tolerance moves the watermark as before', () => {
    const wm = new Watermark(policy);
    wm.observe(T + 5_000, T);
    expect(wm.progress).toBe(T + 5_000);
    wm.observe(T + 4_000, T - 2_000);
    expect(wm.progress).toBe(T + 5_000);
  });

  it('the outlier moves it to its own time once the log has caught up with it', () => {
    const wm = new Watermark(policy);
    wm.observe(T + DAY, T);
    wm.observe(T + DAY, T + DAY);
    expect(wm.current).toBe(T + DAY - 5_000);
  });

  it('append times equal to event times (a log stamped with event times) give the uncapped watermark', () => {
    const capped = new Watermark(policy);
    const uncapped = new Watermark(policy);
    for (const t of [T, T + 3_000, T - 20_000, T + 60_000, T + 10_000]) {
      capped.observe(t, t);
      uncapped.observe(t, NO_APPEND_TIME);
    }
    expect(capped.current).toBe(T + 55_000);
    expect(capped.current).toBe(uncapped.current);
  });
});
