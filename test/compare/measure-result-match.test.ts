import { describe, expect, it } from 'vitest';
import { measureResultMatches } from '../../compare/measure-result-match.ts';

describe('measureResultMatches', () => {
  it('compares exact kinds exactly, top_k lists entry by entry', () => {
    expect(measureResultMatches({ op: 'count_distinct' }, 118, 118)).toBe(true);
    expect(measureResultMatches({ op: 'count_distinct' }, 117, 118)).toBe(false);
    expect(measureResultMatches({ op: 'avg' }, null, null)).toBe(true);
    expect(measureResultMatches({ op: 'avg' }, 0, null)).toBe(false);
    const top = [{ value: 'm1', count: 3 }, { value: 'm2', count: 1 }];
    expect(measureResultMatches({ op: 'top_k', k: 2 }, top, top.map((e) => ({ ...e })))).toBe(true);
    expect(measureResultMatches({ op: 'top_k', k: 2 }, top, [top[1], top[0]])).toBe(false);
    expect(measureResultMatches({ op: 'top_k', k: 2 }, top, [{ value: 'm1', count: 3 }, { value: 'm2', count: 2 }])).toBe(false);
  });

  it('allows an HLL estimate 6 standard errors (1.04 / sqrt(2^p) each) around the exact count, and at least 2', () => {
    // p = 12: 6 * 1.04 / 64 = 9.75%.
    expect(measureResultMatches({ op: 'count_distinct_hll' }, 112, 118)).toBe(true);
    expect(measureResultMatches({ op: 'count_distinct_hll' }, 10_975, 10_000)).toBe(true);
    expect(measureResultMatches({ op: 'count_distinct_hll' }, 10_980, 10_000)).toBe(false);
    expect(measureResultMatches({ op: 'count_distinct_hll' }, 3, 5)).toBe(true);
    expect(measureResultMatches({ op: 'count_distinct_hll' }, 2, 5)).toBe(false);
    // p = 8: 6 * 1.04 / 16 = 39%; a double-counted partial (twice the count) is still refused.
    expect(measureResultMatches({ op: 'count_distinct_hll', precision: 8 }, 138, 100)).toBe(true);
    expect(measureResultMatches({ op: 'count_distinct_hll', precision: 8 }, 200, 100)).toBe(false);
  });
});
