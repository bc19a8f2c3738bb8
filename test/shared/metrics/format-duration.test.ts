import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../shared/metrics/format-duration.ts';

describe('formatDuration', () => {
  it('rounds to whole ms below a second, then to about three significant digits of seconds, minutes or hours', () => {
    expect(formatDuration(377.6)).toBe('378 ms');
    expect(formatDuration(3_756.4)).toBe('3.76 s');
    expect(formatDuration(15_689.372150965432)).toBe('15.7 s');
    // Past 100 s in minutes, past 100 min in hours: an hourly batch's staleness is not "3960.0 s".
    expect(formatDuration(1_923_100)).toBe('32.1 min');
    expect(formatDuration(3_960_000)).toBe('66.0 min');
    expect(formatDuration(7_200_000)).toBe('2.0 h');
    expect(formatDuration(null)).toBe('-');
    expect(formatDuration(undefined)).toBe('-');
  });
});
