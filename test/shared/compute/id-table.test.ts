import { describe, expect, it } from 'vitest';
import { IdTable } from '../../../shared/compute/id-table.ts';

/** The table's contents as a Map, in insertion order. */
function contents(t: IdTable): Map<string, number> {
  const m = new Map<string, number>();
  t.forEach((id, v) => m.set(id, v));
  return m;
}

describe('IdTable', () => {
  it('finds what was inserted, and nothing else', () => {
    const t = new IdTable();
    expect(t.find('a')).toBe(-1);
    expect(t.findOrInsert('a', 10)).toBe(-1);
    expect(t.findOrInsert('b', 20)).toBe(-1);
    expect(t.valueAt(t.findOrInsert('a', 99))).toBe(10);
    expect(t.valueAt(t.find('a'))).toBe(10);
    expect(t.valueAt(t.find('b'))).toBe(20);
    expect(t.find('c')).toBe(-1);
    expect(t.find('')).toBe(-1);
    expect(t.size).toBe(2);
  });

  it('updates a value in place', () => {
    const t = new IdTable();
    t.findOrInsert('a', 1);
    t.setValueAt(t.find('a'), 5);
    expect(t.valueAt(t.find('a'))).toBe(5);
    expect(t.size).toBe(1);
  });

  it('keeps every id through growth, with ids that differ only in one character or in length', () => {
    // Far beyond the initial slots, so the table grows (rehashes) many times.
    const ids: string[] = [];
    for (let i = 0; i < 50_000; i++) ids.push(`evt-${String(i).padStart(8, '0')}`);
    ids.push('evt-', 'evt-0', 'é', 'e\u0301', '\u{1F600}', 'a'.repeat(256));
    const t = new IdTable();
    ids.forEach((id, i) => {
      expect(t.find(id)).toBe(-1);
      expect(t.findOrInsert(id, i)).toBe(-1);
    });
    expect(t.size).toBe(ids.length);
    ids.forEach((id, i) => expect(t.valueAt(t.find(id))).toBe(i));
    expect(t.find('evt-99999999')).toBe(-1);
    expect([...contents(t).keys()]).toEqual(ids);
  });

  it('retain keeps exactly the entries at or above the bound, still findable, in order', () => {
    const t = new IdTable();
    for (let i = 0; i < 10_000; i++) t.findOrInsert(`id-${i}`, i);
    expect(t.retain(9_000)).toBe(true);
    expect(t.size).toBe(1_000);
    expect(t.find('id-8999')).toBe(-1);
    expect(t.valueAt(t.find('id-9000'))).toBe(9_000);
    expect(t.valueAt(t.find('id-9999'))).toBe(9_999);
    expect([...contents(t).values()]).toEqual(Array.from({ length: 1_000 }, (_, i) => 9_000 + i));
    // A forgotten id can come back.
    t.findOrInsert('id-0', 20_000);
    expect(t.valueAt(t.find('id-0'))).toBe(20_000);
  });

  it('retain leaves the table alone while fewer than half the entries are below the bound', () => {
    const t = new IdTable();
    for (let i = 0; i < 1_000; i++) t.findOrInsert(`id-${i}`, i);
    expect(t.retain(499)).toBe(false);
    expect(t.size).toBe(1_000);
    expect(t.valueAt(t.find('id-0'))).toBe(0);
    expect(t.retain(500)).toBe(true);
    expect(t.size).toBe(500);
    expect(t.find('id-499')).toBe(-1);
  });

  it('agrees with a Map on a random mix of lookups, inserts, updates and expiry (through growth and compaction)', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    const t = new IdTable();
    const m = new Map<string, number>();
    // Entries below the last bound count as absent whether or not retain rebuilt (its contract).
    let bound = Number.NEGATIVE_INFINITY;
    let rebuilds = 0;
    for (let step = 0; step < 30_000; step++) {
      if (step % 3_000 === 2_999) {
        bound = step - 500;
        if (t.retain(bound)) rebuilds++;
        for (const [k, v] of m) if (v < bound) m.delete(k);
      }
      const id = `k${rand(5_000)}`;
      // Half the lookups through find (no change), half through findOrInsert.
      if (rand(2) === 0) {
        const at = t.find(id);
        expect(at >= 0 && t.valueAt(at) >= bound).toBe(m.has(id));
        continue;
      }
      const at = t.findOrInsert(id, step);
      expect(at >= 0 && t.valueAt(at) >= bound).toBe(m.has(id));
      if (at >= 0) t.setValueAt(at, step);
      m.set(id, step);
    }
    expect(rebuilds).toBeGreaterThan(0);
    let live = 0;
    t.forEach((_, v) => {
      if (v >= bound) live++;
    });
    expect(live).toBe(m.size);
    for (const [k, v] of m) expect(t.valueAt(t.find(k))).toBe(v);
  });
});
