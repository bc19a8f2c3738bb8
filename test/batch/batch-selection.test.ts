import { describe, expect, it } from 'vitest';
import { planChunks } from '../../batch/batch-chunks.ts';
import { horizonOf } from '../../batch/batch-manifest.ts';
import { selectBuckets } from '../../batch/bucket-selection.ts';
import { windowMapRows } from '../../batch/fixed-window-panes.ts';
import type { MasterObject } from '../../batch/master-buckets.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { windowStartsOf } from '../../shared/time/fixed-window.ts';

const H = HOUR_MS;
const T = Date.UTC(2026, 0, 1);

describe('selectBuckets', () => {
  const data = [T + H, T + 2 * H, T + 5 * H];

  it("'all' spans the first to the last bucket with data, gaps included", () => {
    expect(selectBuckets('all', data, H)).toEqual([1, 2, 3, 4, 5].map((i) => T + i * H));
  });

  it('a range takes the buckets overlapping it, never before the first data', () => {
    expect(selectBuckets({ from: T - 10 * H, to: T + 3 * H }, data, H)).toEqual([T + H, T + 2 * H]);
    expect(selectBuckets({ from: T + 2 * H + 1, to: T + 7 * H }, data, H)).toEqual([2, 3, 4, 5, 6].map((i) => T + i * H));
  });

  it('a list is taken as is, sorted and unique; a time that is not a bucket start is refused', () => {
    expect(selectBuckets([T + 5 * H, T + H, T + H], data, H)).toEqual([T + H, T + 5 * H]);
    expect(() => selectBuckets([T + 5], data, H)).toThrow(BadRequestError);
  });

  it('selects nothing without data, and refuses an open or inverted range', () => {
    expect(selectBuckets('all', [], H)).toEqual([]);
    expect(() => selectBuckets({ from: T, to: Number.POSITIVE_INFINITY }, data, H)).toThrow(BadRequestError);
    expect(() => selectBuckets({ from: T + H, to: T }, data, H)).toThrow(BadRequestError);
  });
});

describe('horizonOf', () => {
  it('ends at the first gap after the earliest bucket (exclusive)', () => {
    expect(horizonOf([T + 2 * H, T, T + H, T + 4 * H], H)).toBe(T + 3 * H);
    expect(horizonOf([T], H)).toBe(T + H);
    expect(horizonOf([], H)).toBeNull();
  });
});

describe('planChunks', () => {
  const file = (hour: number, size: number): MasterObject => ({ key: `master/${hour}`, hour, partition: 0, firstOffset: 0, lastOffset: 0, size });

  it('groups consecutive buckets up to the byte and bucket limits, never splitting a bucket', () => {
    const buckets = [0, 1, 2, 3].map((i) => T + i * H);
    const sources = new Map(buckets.map((b, i) => [b, [file(b, i === 1 ? 500 : 100)]]));
    const chunks = planChunks(buckets, sources, { maxBytes: 300, maxBuckets: 10 });
    expect(chunks.map((c) => c.buckets.length)).toEqual([1, 1, 2]);
    expect(chunks.map((c) => c.bytes)).toEqual([100, 500, 200]);
    expect(planChunks(buckets, sources, { maxBytes: 1e9, maxBuckets: 3 }).map((c) => c.buckets.length)).toEqual([3, 1]);
  });

  it('lists a file shared by several buckets once', () => {
    const f = file(T, 100);
    const chunks = planChunks([T, T + H / 2], new Map([[T, [f]], [T + H / 2, [f]]]));
    expect(chunks).toHaveLength(1);
    expect(chunks[0].files).toEqual([f]);
  });
});

describe('windowMapRows', () => {
  it('maps every pane of the buckets to the windows the shared rule gives its times', () => {
    const spec = { kind: 'sliding', sizeMs: 10 * 60_000, slideMs: 60_000 } as const;
    const rows = windowMapRows(spec, [T, T + H], H);
    expect(rows).toHaveLength(2 * 60 * 10);
    for (const t of [T, T + 59 * 60_000 + 59_999, T + H + 30_000]) {
      const pane = Math.floor(t / 60_000) * 60_000;
      const starts = rows.filter((r) => r[0] === pane).map((r) => r[1]);
      expect(starts).toEqual(windowStartsOf(spec, t));
      for (const r of rows.filter((r) => r[0] === pane)) expect(r[2]).toBe(r[1] + spec.sizeMs);
    }
  });
});
