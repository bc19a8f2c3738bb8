import { describe, expect, it } from 'vitest';
import { avgMeasure } from '../../../../shared/compute/measures/avg.ts';
import { MeasureStateError } from '../../../../shared/errors.ts';
import { measureKindLaws } from '../../support/measure-kind-laws.ts';

describe('avg', () => {
  it('presents the mean of its inputs, and null over no events', () => {
    const s = avgMeasure.empty();
    expect(avgMeasure.present(s)).toBeNull();
    for (const v of [2, 3, 7]) avgMeasure.add(s, v, 0);
    expect(avgMeasure.present(s)).toBe(4);
  });

  it('keeps two slots of a flat pane table: sum and count', () => {
    const table = new Float64Array(6);
    avgMeasure.emptyAt(table, 2);
    avgMeasure.addAt(table, 2, 10, 0);
    avgMeasure.addAt(table, 2, 5, 0);
    expect([...table]).toEqual([0, 0, 15, 2, 0, 0]);
    avgMeasure.mergeAt(table, 0, table, 2);
    expect(avgMeasure.presentAt(table, 0)).toBe(7.5);
  });

  it('refuses a stored state of another width', () => {
    expect(() => avgMeasure.decode([1, 2, 3])).toThrow(MeasureStateError);
  });
});

// Integer inputs up to 10^9 (cents), so sums are exact in JS doubles and DuckDB alike.
measureKindLaws(avgMeasure, { sqlType: 'BIGINT', value: (rng) => rng.int(-1_000_000_000, 1_000_000_000) });
