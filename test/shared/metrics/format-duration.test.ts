import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../shared/metrics/format-duration.ts';

describe('formatDuration', () => {
  it('rounds to whole ms below a second and to three significant digits of seconds above', () => {
    expect(formatDuration(377.6)).toBe('378 ms');
    expect(formatDuration(3_756.4)).toBe('3.76 s');
    expect(formatDuration(15_689.372150965432)).toBe('15.7 s');
    expect(formatDuration(null)).toBe('-');
    expect(formatDuration(undefined)).toBe('-');
  });
});
