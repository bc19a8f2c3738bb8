import { describe, expect, it } from 'vitest';
import { LruMap } from '../../serving/lru-map.ts';

describe('LruMap', () => {
  it('forgets the least recently used beyond its entry bound; get uses an entry, peek does not', () => {
    const m = new LruMap<string, number>({ maxEntries: 2 });
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect([m.peek('a'), m.peek('b'), m.peek('c')]).toEqual([1, undefined, 3]);
    expect(m.peek('a')).toBe(1);
    m.set('d', 4);
    expect([m.peek('a'), m.peek('c'), m.peek('d')]).toEqual([undefined, 3, 4]);
  });

  it('keeps the sizes of its entries within its size bound, replacing and deleting included', () => {
    const m = new LruMap<string, number[]>({ maxEntries: 10, maxSize: 5, sizeOf: (v) => v.length });
    m.set('a', [1, 1]);
    m.set('b', [2, 2]);
    m.set('a', [1]);
    m.set('c', [3, 3]);
    expect(m.size).toBe(3);
    m.set('d', [4]);
    expect(m.peek('b')).toBeUndefined();
    expect(m.delete('c')).toBe(true);
    m.set('e', [5, 5, 5]);
    expect([m.peek('a'), m.peek('d'), m.peek('e')]).toEqual([[1], [4], [5, 5, 5]]);
  });
});
