import { describe, expect, it } from 'vitest';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { PartitionProcessor } from '../../../shared/compute/partition-processor.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { bucketOf, bucketSql, earliestPaneStart, HOUR_MS, parsePartitionPath, partitionPath } from '../../../shared/time/bucket.ts';
import { reachOf } from '../../../shared/time/window.ts';
import { randomWorkload } from '../../support/random-events.ts';
import { Random } from '../../../workload/random.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const T = Date.UTC(2026, 0, 1, 10);

describe('batch buckets', () => {
  it('puts a time on an hour boundary in the bucket starting there', () => {
    expect(bucketOf(T)).toBe(T);
    expect(bucketOf(T - 1)).toBe(T - HOUR_MS);
    expect(bucketOf(T + HOUR_MS - 1)).toBe(T);
  });

  it('floors times before the epoch', () => {
    expect(bucketOf(-1)).toBe(-HOUR_MS);
  });

  it('supports other bucket sizes', () => {
    expect(bucketOf(T + 20 * 60_000, 15 * 60_000)).toBe(T + 15 * 60_000);
  });

  it('names a bucket by its UTC date and hour', () => {
    expect(partitionPath(T)).toBe('dt=2026-01-01/hour=10');
    expect(partitionPath(Date.UTC(2025, 11, 31, 23))).toBe('dt=2025-12-31/hour=23');
    expect(partitionPath(Date.UTC(2026, 0, 2, 0))).toBe('dt=2026-01-02/hour=00');
  });

  it('parses a partition path back to its bucket, also inside a longer key', () => {
    expect(parsePartitionPath('master/dt=2026-01-01/hour=10/p0-00000000.parquet')).toBe(T);
    expect(parsePartitionPath('master/p0.parquet')).toBeUndefined();
  });

  it('round-trips every hour of several years', () => {
    const rng = new Random(4);
    for (let i = 0; i < 2_000; i++) {
      const bucket = bucketOf(Date.UTC(2020, 0, 1) + rng.int(0, 10 * 365 * 24) * HOUR_MS);
      expect(parsePartitionPath(partitionPath(bucket))).toBe(bucket);
    }
  });

  it('has a SQL twin that agrees with bucketOf, boundaries and negative times included', async () => {
    const rng = new Random(5);
    const times = [0, -1, T, T - 1, T + HOUR_MS - 1, -HOUR_MS, -HOUR_MS - 1];
    for (let i = 0; i < 3_000; i++) times.push(rng.chance(0.2) ? rng.int(-1e8, 1e8) : T + rng.int(-1e10, 1e10));
    const db = await DuckDb.open();
    try {
      await db.run('CREATE TABLE times (t BIGINT)');
      await db.append('times', times.map((t) => [BigInt(t)]));
      for (const size of [HOUR_MS, 15 * 60_000, 86_400_000]) {
        const rows = await db.all<{ t: bigint; b: bigint }>(`SELECT t, ${bucketSql('t', size)} AS b FROM times`);
        expect(rows.filter((r) => Number(r.b) !== bucketOf(Number(r.t), size))).toEqual([]);
        expect(rows).toHaveLength(times.length);
      }
    } finally {
      await db.close();
    }
  });
});

describe('earliestPaneStart', () => {
  it('no pane the transform produces ends after `from` yet starts before the bound', () => {
    // Users with long, dense activity make sessions as long as a bucket allows; small buckets
    // (15 min, under the 30 min gap) make session fragments cut by bucket ends.
    for (const bucketMs of [15 * 60_000, HOUR_MS]) {
      const pipeline = compilePipeline(ecommerceConfig({ bucketMs }));
      const { records } = randomWorkload({ seed: bucketMs, events: 3_000, start: T, spanMs: 6 * HOUR_MS, users: 3, products: 4 });
      const proc = new PartitionProcessor(pipeline, 0);
      for (const r of records) proc.process(r.record);
      const { inserts: upserts } = proc.flush();
      expect(upserts.length).toBeGreaterThan(100);
      let longest = 0;
      for (const p of upserts) {
        const reach = reachOf(pipeline.view(p.view).def.window);
        // The tightest case: `from` just below the pane's end.
        expect(p.start).toBeGreaterThanOrEqual(earliestPaneStart(p.end - 1, bucketMs, reach));
        longest = Math.max(longest, p.end - p.start);
      }
      // Some session ran close to the bound, so the check had something to catch.
      expect(longest).toBeGreaterThan(bucketMs);
    }
  });
});
