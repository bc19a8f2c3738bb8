import { describe, expect, it } from 'vitest';
import { Random } from '../../workload/random.ts';

describe('Random', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 50 }, () => r.uint32());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    // Seeds that differ only above 2^32 are different seeds too.
    expect(draw(5)).not.toEqual(draw(5 + 2 ** 32));
  });

  it('keeps its helpers in range', () => {
    const r = new Random(123);
    for (let i = 0; i < 10_000; i++) {
      const f = r.next();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      const n = r.int(-3, 3);
      expect(Number.isInteger(n) && n >= -3 && n <= 3).toBe(true);
      expect(r.exponential(10)).toBeGreaterThanOrEqual(0);
    }
    expect(r.hex(13)).toMatch(/^[0-9a-f]{13}$/);
  });

  it('hits every value of a small range about uniformly', () => {
    const r = new Random(9);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[r.int(0, 3)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('picks weighted entries in proportion to their weights', () => {
    const r = new Random(4);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 30_000; i++) counts[r.weighted([['a', 1], ['b', 2], ['never', 0]] as const)]++;
    expect(counts.never).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(1.8);
    expect(counts.b / counts.a).toBeLessThan(2.2);
  });
});
