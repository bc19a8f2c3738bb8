import { describe, expect, it } from 'vitest';
import type { Pane } from '../../../shared/compute/pane.ts';
import { OpenPanes } from '../../../shared/compute/open-panes.ts';
import { Random } from '../../../workload/random.ts';

const HOUR = 3_600_000;

/** Every open pane as [key, start, end, bucket, acc], chain by chain. */
function contents(t: OpenPanes): [string, number, number, number, number[]][] {
  const out: [string, number, number, number, number[]][] = [];
  t.forEach((_, s) => out.push([t.keyOf(s), t.startOf(s), t.endOf(s), t.bucketOf(s), t.accOf(s)]));
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[3] - b[3] || a[1] - b[1]));
}

/** Opens a pane at its place in the key's chain (newest first: bucket, then start, descending), as ViewState does. */
function openInOrder(t: OpenPanes, key: string, start: number, bucket: number): number {
  const k = t.keyId(key);
  let prev = -1;
  let s = t.head(k);
  while (s >= 0 && t.sortsBefore(s, bucket, start)) {
    prev = s;
    s = t.next(s);
  }
  if (s >= 0 && t.bucketOf(s) === bucket && t.startOf(s) === start) return s;
  return t.open(k, prev, start, start + 60_000, bucket);
}

describe('OpenPanes', () => {
  it('keeps each key chain ordered newest first and agrees with a plain model through drops and rebuilds', () => {
    const rng = new Random(3);
    const t = new OpenPanes([0, Number.NEGATIVE_INFINITY]);
    const model = new Map<string, Pane>();
    let oldest = 0;
    let drained: Pane[] = [];
    for (let step = 0; step < 20_000; step++) {
      const bucket = (oldest + rng.int(0, 2)) * HOUR;
      const key = `k${rng.int(0, 300)}`;
      const start = bucket + rng.int(0, 59) * 60_000;
      const s = openInOrder(t, key, start, bucket);
      const acc = t.accOf(s);
      acc[0] += 1;
      acc[1] = Math.max(acc[1], step);
      t.setAcc(s, acc);
      t.touch(s);
      model.set(`${key}/${bucket}/${start}`, { view: 'v', key, start, end: start + 60_000, bucket, acc });
      if (rng.chance(0.01)) {
        drained = [];
        t.drain('v', drained);
      }
      if (rng.chance(0.002)) {
        oldest++;
        if (rng.chance(0.5)) {
          drained = [];
          t.drain('v', drained);
        }
        t.dropBuckets((b) => b < oldest * HOUR);
        for (const [id, p] of model) if (p.bucket < oldest * HOUR) model.delete(id);
      }
      if (step % 997 === 0) {
        // Chains ordered; contents equal the model.
        for (let k = 0; k < t.keyCount; k++) {
          for (let a = t.head(k), b = a >= 0 ? t.next(a) : -1; b >= 0; a = b, b = t.next(b)) {
            expect(t.bucketOf(a) > t.bucketOf(b) || (t.bucketOf(a) === t.bucketOf(b) && t.startOf(a) > t.startOf(b))).toBe(true);
          }
        }
        const expected = [...model.values()]
          .map((p): [string, number, number, number, number[]] => [p.key, p.start, p.end, p.bucket, p.acc])
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[3] - b[3] || a[1] - b[1]));
        expect(contents(t)).toEqual(expected);
        expect(t.size).toBe(model.size);
      }
    }
    expect(drained.length).toBeGreaterThan(0);
  });

  it('reports a pane dropped while changed at the next drain, then frees it', () => {
    const t = new OpenPanes([0]);
    const s = t.open(t.keyId('a'), -1, 0, 60_000, 0);
    t.touch(s);
    t.dropBuckets((b) => b < HOUR);
    expect(t.size).toBe(0);
    const first: Pane[] = [];
    t.drain('v', first);
    expect(first.map((p) => [p.key, p.start, p.bucket])).toEqual([['a', 0, 0]]);
    const second: Pane[] = [];
    t.drain('v', second);
    expect(second).toEqual([]);
  });

  it('stays bounded on a long stream whose keys change: dropped keys lose their ids, the arrays shrink', () => {
    const t = new OpenPanes([0]);
    let maxKeys = 0;
    let maxCapacity = 0;
    // 48 hours; each hour a fresh set of 2,000 keys with a few panes each, and the hour before last dropped.
    for (let h = 0; h < 48; h++) {
      for (let i = 0; i < 2_000; i++) for (let m = 0; m < 5; m++) t.touch(openInOrder(t, `h${h}-k${i}`, h * HOUR + m * 60_000, h * HOUR));
      t.drain('v', []);
      t.dropBuckets((b) => b < (h - 1) * HOUR);
      maxKeys = Math.max(maxKeys, t.keyCount);
      maxCapacity = Math.max(maxCapacity, t.capacity);
    }
    // Two open hours of keys and panes, not 48.
    expect(t.size).toBe(2 * 2_000 * 5);
    expect(maxKeys).toBeLessThanOrEqual(3 * 2_000);
    expect(maxCapacity).toBeLessThanOrEqual(4 * 2 * 2_000 * 5);
  });
});
