import { describe, expect, it } from 'vitest';
import { groupLag } from '../../bench/group-lag.ts';

describe('groupLag', () => {
  it('sums what each partition still has past its checkpoint', () => {
    const end = new Map([[0, 100], [1, 50], [2, 0]]);
    expect(groupLag(end, new Map([[0, { nextOffset: 40 }], [1, { nextOffset: 50 }]]))).toBe(60);
  });

  it('counts a partition without a checkpoint as lagging by all it holds', () => {
    expect(groupLag(new Map([[0, 10], [1, 7]]), new Map([[0, { nextOffset: 10 }]]))).toBe(7);
  });

  it('is 0 once every checkpoint reached its end offset (caught up), and never negative past it', () => {
    expect(groupLag(new Map([[0, 10], [1, 0]]), new Map([[0, { nextOffset: 12 }]]))).toBe(0);
  });
});
