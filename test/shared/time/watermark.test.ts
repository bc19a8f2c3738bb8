import { describe, expect, it } from 'vitest';
import { NO_WATERMARK, Watermark } from '../../../shared/time/watermark.ts';

const policy = { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000 };
const T = Date.UTC(2026, 0, 1, 10);

describe('Watermark', () => {
  it('trails the max event time by the out-of-orderness bound, and lateBefore trails it by the allowed lateness', () => {
    const wm = new Watermark(policy);
    wm.observe(T);
    expect(wm.current).toBe(T - 5_000);
    expect(wm.lateBefore).toBe(T - 65_000);
  });

  it('accepts an event exactly at lateBefore and rejects one 1 ms earlier', () => {
    const wm = new Watermark(policy);
    wm.observe(T);
    expect(wm.isTooLate(wm.lateBefore)).toBe(false);
    expect(wm.isTooLate(wm.lateBefore - 1)).toBe(true);
  });

  it('never moves back: an older event does not lower it', () => {
    const wm = new Watermark(policy);
    wm.observe(T);
    wm.observe(T - 30_000);
    expect(wm.maxEventTime).toBe(T);
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
    wm.observe(T);
    expect(wm.isFinal(wm.lateBefore)).toBe(true);
    expect(wm.isFinal(wm.lateBefore + 1)).toBe(false);
  });

  it('resumes from a restored max event time', () => {
    const wm = new Watermark(policy, T);
    expect(wm.lateBefore).toBe(T - 65_000);
  });

  it('with zero bounds, accepts only events at or after the max seen', () => {
    const wm = new Watermark({ maxOutOfOrdernessMs: 0, allowedLatenessMs: 0 });
    wm.observe(T);
    expect(wm.isTooLate(T)).toBe(false);
    expect(wm.isTooLate(T - 1)).toBe(true);
  });
});
