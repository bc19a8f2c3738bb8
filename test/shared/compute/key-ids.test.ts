import { describe, expect, it } from 'vitest';
import { KeyIds } from '../../../shared/compute/key-ids.ts';

describe('KeyIds', () => {
  it('gives each key one dense id, stable across lookups', () => {
    const k = new KeyIds();
    expect(k.idOf('a')).toBe(0);
    expect(k.idOf('b')).toBe(1);
    expect(k.idOf('a')).toBe(0);
    expect(k.keyOf(1)).toBe('b');
    expect(k.size).toBe(2);
  });

  it('compact keeps the live keys, renumbered in order, and forgets the others', () => {
    const k = new KeyIds();
    for (const key of ['a', 'b', 'c', 'd']) k.idOf(key);
    const remap = k.compact((id) => id % 2 === 1);
    expect([...remap]).toEqual([-1, 0, -1, 1]);
    expect(k.size).toBe(2);
    expect([k.keyOf(0), k.keyOf(1)]).toEqual(['b', 'd']);
    expect(k.idOf('d')).toBe(1);
    // A dropped key comes back with a new id.
    expect(k.idOf('a')).toBe(2);
  });

  it('agrees with a Map through growth and compactions, with keys that differ in one character or in length', () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    const k = new KeyIds();
    let model = new Map<string, number>();
    const pool = Array.from({ length: 6_000 }, (_, i) => `u-${i}`);
    pool.push('', 'u-', 'é', 'e\u0301', '\u{1F600}', 'x'.repeat(256));
    for (let step = 0; step < 40_000; step++) {
      const key = pool[rand(pool.length)];
      const id = k.idOf(key);
      if (!model.has(key)) {
        expect(id).toBe(model.size);
        model.set(key, id);
      } else expect(id).toBe(model.get(key));
      if (step % 5_000 === 4_999) {
        // Keep a random half, renumbered in order.
        const keep = new Set([...model.keys()].filter(() => rand(2) === 0));
        const remap = k.compact((i) => keep.has(k.keyOf(i)));
        const next = new Map<string, number>();
        for (const [key2, old] of model) if (keep.has(key2)) next.set(key2, remap[old]);
        expect([...next.values()]).toEqual([...next.keys()].map((_, i) => i));
        model = next;
        expect(k.size).toBe(model.size);
      }
    }
    for (const [key, id] of model) {
      expect(k.keyOf(id)).toBe(key);
      expect(k.idOf(key)).toBe(id);
    }
  });
});
