import { describe, expect, it } from 'vitest';
import { latencyStats, quantileOfSorted } from '../../bench/percentiles.ts';

describe('quantileOfSorted', () => {
  it('is the nearest rank: the smallest sample with at least q of the samples at or below it', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(quantileOfSorted(s, 0.5)).toBe(50);
    expect(quantileOfSorted(s, 0.95)).toBe(95);
    expect(quantileOfSorted(s, 0.99)).toBe(99);
    expect(quantileOfSorted(s, 1)).toBe(100);
    expect(quantileOfSorted(s, 0.001)).toBe(1);
  });

  it('never interpolates: a small sample answers with one of its values', () => {
    expect(quantileOfSorted([10, 20, 30], 0.5)).toBe(20);
    expect(quantileOfSorted([10, 20, 30], 0.99)).toBe(30);
    expect(quantileOfSorted([10, 20], 0.5)).toBe(10);
    expect(quantileOfSorted([7], 0.99)).toBe(7);
  });

  it('refuses no samples and quantiles outside (0, 1]', () => {
    expect(() => quantileOfSorted([], 0.5)).toThrow(/no samples/);
    expect(() => quantileOfSorted([1], 0)).toThrow(/\(0, 1\]/);
    expect(() => quantileOfSorted([1], 1.5)).toThrow(/\(0, 1\]/);
  });
});

describe('latencyStats', () => {
  it('sorts the samples (without changing them) and reports p50, p95, p99 and max', () => {
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i); // 200..1, unsorted
    const copy = [...samples];
    expect(latencyStats(samples)).toEqual({ count: 200, p50: 100, p95: 190, p99: 198, max: 200 });
    expect(samples).toEqual(copy);
  });

  it('is null for no samples', () => {
    expect(latencyStats([])).toBeNull();
  });

  it('lets one slow probe out of a hundred reach p99 only when it is the 100th', () => {
    const fast = Array.from({ length: 99 }, () => 100);
    expect(latencyStats([...fast, 5_000])!.p99).toBe(100);
    expect(latencyStats([...fast.slice(1), 5_000, 5_000])!.p99).toBe(5_000);
  });
});
