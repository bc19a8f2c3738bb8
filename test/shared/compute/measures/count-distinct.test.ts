import { describe, expect, it } from 'vitest';
import { countDistinctMeasure } from '../../../../shared/compute/measures/count-distinct.ts';
import { MeasureStateError } from '../../../../shared/errors.ts';
import { measureKindLaws } from '../../support/measure-kind-laws.ts';

describe('count-distinct (exact)', () => {
  it('counts each value once', () => {
    const s = countDistinctMeasure.empty();
    for (const v of ['a', 'b', 'a', 'c', 'b']) countDistinctMeasure.add(s, v, 0);
    expect(countDistinctMeasure.present(s)).toBe(3);
  });

  it('stores the values sorted, so equal sets store equally', () => {
    const a = countDistinctMeasure.empty();
    const b = countDistinctMeasure.empty();
    for (const v of ['b', 'a']) countDistinctMeasure.add(a, v, 0);
    for (const v of ['a', 'b', 'a']) countDistinctMeasure.add(b, v, 0);
    expect(countDistinctMeasure.encode(a)).toBe('["a","b"]');
    expect(countDistinctMeasure.encode(b)).toBe('["a","b"]');
  });

  it('refuses stored text that is no array of values', () => {
    expect(() => countDistinctMeasure.decode('{"a":1}')).toThrow(MeasureStateError);
    expect(() => countDistinctMeasure.decode('not json')).toThrow(MeasureStateError);
    expect(() => countDistinctMeasure.decode('[1.5]')).toThrow(MeasureStateError);
  });
});

measureKindLaws(countDistinctMeasure, { sqlType: 'VARCHAR', value: (rng) => `m${rng.int(0, 80)}` });
measureKindLaws(countDistinctMeasure, { sqlType: 'BIGINT', value: (rng) => rng.int(-40, 40) * 1_000_000_007, seed: 13 });
measureKindLaws(countDistinctMeasure, { sqlType: 'BOOLEAN', value: (rng) => rng.chance(0.5), seed: 14 });
