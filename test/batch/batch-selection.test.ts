import { describe, expect, it } from 'vitest';
import { planChunks } from '../../batch/batch-chunks.ts';
import { horizonOf, parseManifest } from '../../batch/batch-manifest.ts';
import { rangesOfBuckets } from '../../batch/bucket-coverage.ts';
import { planBuckets } from '../../batch/bucket-selection.ts';
import { windowMapRows } from '../../batch/fixed-window-panes.ts';
import type { MasterObject } from '../../batch/master-buckets.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { windowStartsOf } from '../../shared/time/fixed-window.ts';

const H = HOUR_MS;
const T = Date.UTC(2026, 0, 1);

describe('planBuckets', () => {
  const data = [T + H, T + 2 * H, T + 5 * H];
  const range = (from: number, to: number) => ({ from: T + from * H, to: T + to * H });

  it("'all' covers the first to the last bucket with data and computes only those with data", () => {
    expect(planBuckets('all', data, H)).toEqual({ compute: data, cover: [range(1, 6)] });
  });

  it('a range covers the buckets overlapping it, never before the first data, and computes those with data', () => {
    expect(planBuckets({ from: T - 10 * H, to: T + 3 * H }, data, H)).toEqual({ compute: [T + H, T + 2 * H], cover: [range(1, 3)] });
    expect(planBuckets({ from: T + 2 * H + 1, to: T + 7 * H }, data, H)).toEqual({ compute: [T + 2 * H, T + 5 * H], cover: [range(2, 7)] });
    expect(planBuckets({ from: T + 2 * H, to: T + 3 * H + 1 }, data, H).cover).toEqual([range(2, 4)]);
  });

  it('a range open at its end (lk batch --from alone) runs to the last bucket with data', () => {
    expect(planBuckets({ from: T + 2 * H, to: Number.POSITIVE_INFINITY }, data, H)).toEqual({ compute: [T + 2 * H, T + 5 * H], cover: [range(2, 6)] });
    expect(() => planBuckets({ from: T, to: Number.MAX_SAFE_INTEGER }, data, H)).toThrow(/give epoch milliseconds/);
  });

  it('a list covers each listed bucket, computes those with data; a time that is not a bucket start is refused', () => {
    expect(planBuckets([T + 5 * H, T + H, T + H, T + 3 * H], data, H)).toEqual({ compute: [T + H, T + 5 * H], cover: [range(1, 2), range(3, 4), range(5, 6)] });
    expect(() => planBuckets([T + 5], data, H)).toThrow(BadRequestError);
  });

  it('a cover with buckets to compute keeps the cover (from the first data on) and computes only listed buckets with data', () => {
    expect(planBuckets({ cover: range(0, 6), compute: [T + 5 * H, T + 3 * H] }, data, H)).toEqual({ compute: [T + 5 * H], cover: [range(1, 6)] });
  });

  it('costs the buckets with data, not the span: one event in 2000 and one today', () => {
    const y2000 = Date.UTC(2000, 0, 1);
    const plan = planBuckets('all', [y2000, T], H);
    expect(plan).toEqual({ compute: [y2000, T], cover: [{ from: y2000, to: T + H }] });
    expect(planBuckets({ from: y2000, to: T + H }, [y2000, T], H).compute).toEqual([y2000, T]);
  });

  it('plans nothing without data, and refuses an inverted or far-future range', () => {
    expect(planBuckets('all', [], H)).toEqual({ compute: [], cover: [] });
    expect(() => planBuckets({ from: T + H, to: T }, data, H)).toThrow(BadRequestError);
    // Microseconds instead of milliseconds.
    expect(() => planBuckets({ from: T, to: T * 1000 }, data, H)).toThrow(BadRequestError);
  });
});

describe('horizonOf', () => {
  it('ends the covered range that starts at the earliest covered bucket (exclusive)', () => {
    expect(horizonOf(rangesOfBuckets([T + 2 * H, T, T + H, T + 4 * H], H))).toBe(T + 3 * H);
    expect(horizonOf([{ from: T + 2 * H, to: T + 3 * H }, { from: T, to: T + 2 * H }])).toBe(T + 3 * H);
    expect(horizonOf([{ from: T, to: T + H }])).toBe(T + H);
    expect(horizonOf([])).toBeNull();
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

describe('parseManifest', () => {
  const v1 = (buckets: { bucket: number; files: number }[], horizon: number | null) =>
    JSON.stringify({
      version: 1,
      runId: 'r1',
      publishedAt: new Date(T).toISOString(),
      bucketMs: H,
      horizon,
      views: {},
      buckets: buckets.map((b) => ({ bucket: b.bucket, runId: 'r1', rows: b.files, events: b.files, source: { files: b.files, digest: 'd' }, files: {} })),
      history: ['r1'],
    });

  it('reads a version 1 manifest: its listed buckets are its coverage, its empty entries are left out', () => {
    const m = parseManifest(v1([{ bucket: T, files: 1 }, { bucket: T + H, files: 0 }, { bucket: T + 2 * H, files: 2 }], T + 3 * H));
    expect(m.version).toBe(2);
    expect(m.covered).toEqual([{ from: T, to: T + 3 * H }]);
    expect(m.buckets.map((b) => b.bucket)).toEqual([T, T + 2 * H]);
    expect(m.horizon).toBe(T + 3 * H);
  });

  it('refuses a horizon that is not the end of the first covered range, or a bucket outside the coverage', () => {
    const v2 = (covered: unknown, horizon: number, bucket = T) =>
      JSON.stringify({ ...JSON.parse(v1([{ bucket, files: 1 }], horizon)), version: 2, covered });
    expect(parseManifest(v2([{ from: T, to: T + 2 * H }, { from: T + 3 * H, to: T + 4 * H }], T + 2 * H)).horizon).toBe(T + 2 * H);
    expect(() => parseManifest(v2([{ from: T, to: T + 2 * H }], T + 4 * H))).toThrow(/horizon/);
    expect(() => parseManifest(v2([{ from: T, to: T + 2 * H }], T + 2 * H, T + 5 * H))).toThrow(/outside/);
    expect(() => parseManifest(v2([{ from: T + H, to: T }], T))).toThrow(/covered/);
  });
});
