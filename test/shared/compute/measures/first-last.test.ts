import { describe, expect, it } from 'vitest';
import { firstLastMeasure } from '../../../../shared/compute/measures/first-last.ts';
import { measureKindLaws, type LawOptions } from '../../support/measure-kind-laws.ts';

const first = firstLastMeasure('first');
const last = firstLastMeasure('last');

/** The kind's answer over (time, value) events folded in the given order. */
function answer(kind: typeof first, events: readonly (readonly [number, number])[]): number | null {
  const s = kind.empty();
  for (const [t, v] of events) kind.add(s, v, t);
  return kind.present(s);
}

describe('first / last by event time', () => {
  it('present the value of the earliest / latest event, whatever the arrival order', () => {
    const events = [
      [20, 7],
      [10, 3],
      [30, 9],
    ] as const;
    expect(answer(first, events)).toBe(3);
    expect(answer(last, events)).toBe(9);
    expect(answer(first, [...events].reverse())).toBe(3);
    expect(answer(last, [...events].reverse())).toBe(9);
  });

  it('break ties in event time by value: the smaller for first, the larger for last, in any order', () => {
    const tied = [
      [10, 5],
      [10, 2],
      [10, 8],
    ] as const;
    for (const order of [tied, [...tied].reverse(), [tied[1], tied[2], tied[0]]]) {
      expect(answer(first, order)).toBe(2);
      expect(answer(last, order)).toBe(8);
    }
  });

  it('present null over no events', () => {
    expect(first.present(first.empty())).toBeNull();
    expect(last.present(last.empty())).toBeNull();
  });
});

// Event times from 20 values only, so equal times with different values are common.
const laws: LawOptions<number> = { sqlType: 'BIGINT', value: (rng) => rng.int(-1_000, 1_000), timeSpan: 20 };
measureKindLaws(first, laws);
measureKindLaws(last, laws);
