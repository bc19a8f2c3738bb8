import { describe, expect, it } from 'vitest';
import { isIsoWithZone, parseIsoTime, parseIsoTimeGeneral } from '../../../shared/model/iso-time.ts';
import { Random } from '../../../workload/random.ts';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A string of the common shapes with each field drawn from a range a little wider than valid, or one character spoiled. */
function candidate(rng: Random): string {
  const date = `${pad(rng.int(0, 9999), 4)}-${pad(rng.int(0, 13), 2)}-${pad(rng.int(0, 32), 2)}`;
  const time = `${pad(rng.int(0, 25), 2)}:${pad(rng.int(0, 61), 2)}:${pad(rng.int(0, 61), 2)}.${pad(rng.int(0, 999), 3)}`;
  const zone = rng.chance(0.5) ? 'Z' : `${rng.chance(0.5) ? '+' : '-'}${pad(rng.int(0, 25), 2)}:${pad(rng.int(0, 61), 2)}`;
  let s = `${date}T${time}${zone}`;
  if (rng.chance(0.2)) {
    const at = rng.int(0, s.length - 1);
    s = s.slice(0, at) + '0-T:.Z+x '[rng.int(0, 8)] + s.slice(at + 1);
  }
  return s;
}

describe('parseIsoTime', () => {
  it('reads the shapes producers write, with and without offsets and fractions', () => {
    expect(parseIsoTime('2026-01-01T10:00:00.123Z')).toBe(Date.UTC(2026, 0, 1, 10, 0, 0, 123));
    expect(parseIsoTime('2026-01-01T12:00:00.123+02:00')).toBe(Date.UTC(2026, 0, 1, 10, 0, 0, 123));
    expect(parseIsoTime('2026-01-01T04:30:00.000-05:30')).toBe(Date.UTC(2026, 0, 1, 10, 0, 0, 0));
    expect(parseIsoTime('2026-01-01T10:00Z')).toBe(Date.UTC(2026, 0, 1, 10));
    expect(parseIsoTime('2026-01-01T10:00:00.123456789+0200')).toBe(Date.UTC(2026, 0, 1, 8, 0, 0, 123));
    expect(parseIsoTime('2028-02-29T00:00:00.000Z')).toBe(Date.UTC(2028, 1, 29));
  });

  it('answers NaN for days that do not exist and for other shapes', () => {
    for (const s of ['2026-02-29T00:00:00.000Z', '2100-02-29T00:00:00.000Z', '2026-04-31T00:00:00.000+01:00', '2026-13-01T00:00:00.000Z', '2026-01-01 10:00:00Z', '2026-01-01T10:00:00', '1767261600000']) {
      expect(parseIsoTime(s), s).toBeNaN();
    }
    expect(isIsoWithZone('2026-02-30T00:00:00Z')).toBe(true);
    expect(isIsoWithZone('2026-01-01T10:00:00')).toBe(false);
  });

  it('agrees with the general path (regex, Date.parse, calendar check) on 200,000 random strings', () => {
    const rng = new Random(7);
    let valid = 0;
    for (let i = 0; i < 200_000; i++) {
      const s = candidate(rng);
      const fast = parseIsoTime(s);
      const general = parseIsoTimeGeneral(s);
      if (!Object.is(fast, general)) expect.fail(`${s}: fast path ${fast}, general path ${general}`);
      if (!Number.isNaN(general)) valid++;
    }
    // Both outcomes are well represented, so agreement is not agreement on NaN alone.
    expect(valid).toBeGreaterThan(40_000);
    expect(valid).toBeLessThan(160_000);
  });
});
