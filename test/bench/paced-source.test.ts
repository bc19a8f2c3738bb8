import { describe, expect, it } from 'vitest';
import { PacedSource } from '../../bench/paced-source.ts';

const records = (times: number[]) => times.map((timestamp, i) => ({ timestamp, i }));

describe('PacedSource', () => {
  it('hands out each record once, when its timestamp has come, in order', () => {
    const s = new PacedSource(records([0, 10, 10, 20, 35])[Symbol.iterator]());
    expect(s.due(-1)).toEqual([]);
    expect(s.due(9).map((r) => r.i)).toEqual([0]);
    expect(s.due(10).map((r) => r.i)).toEqual([1, 2]);
    expect(s.due(10)).toEqual([]);
    expect(s.nextTimestamp).toBe(20);
    expect(s.done).toBe(false);
    expect(s.released).toBe(3);
  });

  it('gives a producer that fell behind the whole backlog at once, so the rate catches up', () => {
    const s = new PacedSource(records([0, 1, 2, 3, 4, 5])[Symbol.iterator]());
    expect(s.due(4).map((r) => r.i)).toEqual([0, 1, 2, 3, 4]);
    expect(s.due(100).map((r) => r.i)).toEqual([5]);
    expect(s.done).toBe(true);
    expect(s.nextTimestamp).toBeUndefined();
  });

  it('caps one call at max records and leaves the rest for the next', () => {
    const s = new PacedSource(records([0, 0, 0, 0])[Symbol.iterator]());
    expect(s.due(0, 3)).toHaveLength(3);
    expect(s.due(0, 3)).toHaveLength(1);
    expect(s.released).toBe(4);
  });

  it('pulls lazily from a generator, one record ahead', () => {
    let pulled = 0;
    function* gen() {
      for (let t = 0; t < 1_000_000; t += 1) {
        pulled++;
        yield { timestamp: t };
      }
    }
    const s = new PacedSource(gen());
    expect(pulled).toBe(1);
    s.due(9);
    expect(pulled).toBe(11);
  });
});
