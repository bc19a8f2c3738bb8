import { describe, expect, it } from 'vitest';
import { instanceCounts } from '../../bench/instance-counts.ts';
import { BadRequestError } from '../../shared/errors.ts';

describe('instanceCounts', () => {
  it('reads a comma-separated list in order', () => {
    expect(instanceCounts('1,2,3', 6)).toEqual([1, 2, 3]);
    expect(instanceCounts(' 3 , 1 ', 6)).toEqual([3, 1]);
  });

  it('refuses counts that are not whole numbers from 1 to the partitions', () => {
    for (const raw of ['', '1,,2', '0', '1.5', 'two', '7', '1,-1']) {
      expect(() => instanceCounts(raw, 6), raw).toThrow(BadRequestError);
    }
  });
});
