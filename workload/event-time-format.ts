import type { Random } from './random.ts';

const OFFSETS: readonly (readonly [string, number])[] = [
  ['+02:00', 2 * 3_600_000],
  ['-05:00', -5 * 3_600_000],
  ['+05:30', 5.5 * 3_600_000],
];

/**
 * Writes an event time as producers in the wild do: mostly ISO-8601 in UTC with a Z, sometimes
 * in a local time with its offset (+02:00 most often), sometimes as epoch milliseconds. Every form
 * keeps the millisecond, so the validator reads back exactly `t`.
 */
export function formatEventTime(rng: Random, t: number): string | number {
  const r = rng.next();
  if (r < 0.8) return new Date(t).toISOString();
  if (r < 0.92) return withOffset(t, OFFSETS[0]);
  if (r < 0.95) return withOffset(t, rng.pick(OFFSETS));
  return t;
}

function withOffset(t: number, [suffix, offsetMs]: readonly [string, number]): string {
  // The local wall-clock time is UTC plus the offset; toISOString prints it, and the Z becomes the offset.
  return new Date(t + offsetMs).toISOString().replace('Z', suffix);
}
