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
});
