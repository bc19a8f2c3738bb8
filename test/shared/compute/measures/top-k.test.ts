import { describe, expect, it } from 'vitest';
import { topKMeasure } from '../../../../shared/compute/measures/top-k.ts';
import { ConfigError, MeasureStateError } from '../../../../shared/errors.ts';
import { measureKindLaws } from '../../support/measure-kind-laws.ts';

describe('top-k', () => {
  it('presents the k most frequent values with their counts, ties to the smaller value', () => {
    const top2 = topKMeasure(2);
    const s = top2.empty();
    for (const v of ['c', 'b', 'a', 'b', 'c', 'a', 'd', 'd', 'd', 'e']) top2.add(s, v, 0);
    // d: 3; a, b, c: 2 each; e: 1.
    expect(top2.present(s)).toEqual([
      { value: 'd', count: 3 },
      { value: 'a', count: 2 },
    ]);
    expect(topKMeasure(10).present(s).map((e) => e.value)).toEqual(['d', 'a', 'b', 'c', 'e']);
  });

  it('orders tied numbers numerically, not as text', () => {
    const top = topKMeasure(3);
    const s = top.empty();
    for (const v of [10, 9, 100]) top.add(s, v, 0);
    expect(top.present(s).map((e) => e.value)).toEqual([9, 10, 100]);
  });

  it('needs k >= 1 and refuses stored text that is no list of [value, count]', () => {
    expect(() => topKMeasure(0)).toThrow(ConfigError);
    expect(() => topKMeasure(3).decode('[["a", 0]]')).toThrow(MeasureStateError);
    expect(() => topKMeasure(3).decode('[["a"]]')).toThrow(MeasureStateError);
  });
});

// Skewed values (a few frequent, a long tail), so top lists have ties and differ across groups.
measureKindLaws(topKMeasure(3), { sqlType: 'VARCHAR', value: (rng) => `m${Math.floor(rng.exponential(6))}` });
measureKindLaws(topKMeasure(5), { sqlType: 'BIGINT', value: (rng) => Math.floor(rng.exponential(4)), seed: 15 });
