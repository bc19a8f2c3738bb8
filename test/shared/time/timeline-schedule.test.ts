import { describe, expect, it } from 'vitest';
import { batchRunsBetween, hourlyRunOffsetMs, instantsBetween, wallOffsetOf } from '../../../shared/time/timeline-schedule.ts';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const T0 = Date.UTC(2026, 2, 1, 22, 30);
const timetable = { hourlyOffsetMs: 6 * MIN, dailyOffsetMs: 30 * MIN };

describe('timeline schedule', () => {
  it('runs the hourly batch once the hour just ended can be complete: straggler delay plus the watermark lag, to the next minute', () => {
    expect(hourlyRunOffsetMs(5 * MIN, 5_000)).toBe(6 * MIN);
    expect(hourlyRunOffsetMs(0, 5_000)).toBe(MIN);
    expect(hourlyRunOffsetMs(4 * MIN + 55_000, 4_000)).toBe(5 * MIN);
    expect(hourlyRunOffsetMs(0, 0)).toBe(MIN);
  });

  it('lists the hourly runs at :06 and the daily run at 00:30 of a timeline across midnight', () => {
    const runs = batchRunsBetween(T0, T0 + 3 * H, timetable);
    const at = (h: number, m: number) => Date.UTC(2026, 2, 1, h, m);
    expect(runs).toEqual([
      { at: at(23, 6), kind: 'hourly' },
      { at: at(24, 6), kind: 'hourly' },
      { at: at(24, 30), kind: 'daily' },
      { at: at(25, 6), kind: 'hourly' },
    ]);
  });

  it('gives every run exactly once when the timeline asks step by step', () => {
    const all = batchRunsBetween(T0, T0 + DAY, timetable);
    const stepped = [];
    for (let t = T0; t < T0 + DAY; t += 7 * MIN) stepped.push(...batchRunsBetween(t, Math.min(t + 7 * MIN, T0 + DAY), timetable));
    expect(stepped).toEqual(all);
    expect(all.filter((r) => r.kind === 'hourly')).toHaveLength(24);
    expect(all.filter((r) => r.kind === 'daily')).toHaveLength(1);
  });

  it('includes a run exactly at the end of a step and none exactly at its start', () => {
    const at = Date.UTC(2026, 2, 1, 23, 6);
    expect(batchRunsBetween(at - MIN, at, timetable)).toEqual([{ at, kind: 'hourly' }]);
    expect(batchRunsBetween(at, at + MIN, timetable)).toEqual([]);
  });

  it('puts an hourly run before a daily one at the same instant', () => {
    const runs = batchRunsBetween(T0, T0 + 3 * H, { hourlyOffsetMs: 30 * MIN, dailyOffsetMs: 30 * MIN });
    const midnight = Date.UTC(2026, 2, 2, 0, 30);
    expect(runs.filter((r) => r.at === midnight).map((r) => r.kind)).toEqual(['hourly', 'daily']);
  });

  it('gives query instants every period after the start, each once', () => {
    expect(instantsBetween(0, 10, 0, 35)).toEqual([10, 20, 30]);
    expect(instantsBetween(0, 10, 20, 40)).toEqual([30, 40]);
    expect(instantsBetween(0, 10, 21, 29)).toEqual([]);
  });

  it('maps simulated time to wall time by the speed-up', () => {
    expect(wallOffsetOf(T0 + H, T0, 360)).toBe(10_000);
  });
});
