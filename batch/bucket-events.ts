import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import { bucketSql } from '../shared/time/bucket.ts';
import { parquetSource } from './parquet-source.ts';

/** The temp table holding the deduplicated events of the buckets being computed. */
export const BUCKET_EVENTS_TABLE = 'batch_bucket_events';

export interface BucketEventCounts {
  /** Master rows of the bucket (duplicates included). */
  readonly rows: number;
  /** Distinct events of the bucket. */
  readonly events: number;
}

/**
 * Loads the events of some buckets from their master files into BUCKET_EVENTS_TABLE (columns the
 * views read, plus `bucket`), deduplicated by event_id within each bucket, keeping the first copy
 * in log order (append time, then partition, then offset). Returns the counts per bucket.
 *
 * Dedup is per bucket: a bucket's result depends on its own files only, so recomputing one hour
 * gives the panes a full recompute gives. Copies of an event are redeliveries of one record, so
 * they carry one event time and meet in one bucket.
 */
export async function loadBucketEvents(db: DuckDb, localFiles: readonly string[], buckets: readonly number[], bucketMs: number): Promise<Map<number, BucketEventCounts>> {
  const inBuckets = `bucket IN (${buckets.join(', ')})`;
  const source = `(SELECT *, ${bucketSql('event_time', bucketMs)} AS bucket FROM ${parquetSource(localFiles)})`;
  // Row order is irrelevant here, and keeping it makes DuckDB insert on one thread: lift it for
  // this statement only (one run(), so no other statement on this connection sees the setting).
  await db.run(`SET preserve_insertion_order = false;
    CREATE OR REPLACE TEMP TABLE ${BUCKET_EVENTS_TABLE} AS
    SELECT event_type, user_id, product_id, price_cents, quantity, event_time, bucket
    FROM ${source} WHERE ${inBuckets}
    QUALIFY row_number() OVER (PARTITION BY event_id, bucket ORDER BY log_timestamp, log_partition, log_offset) = 1;
    RESET preserve_insertion_order`);
  const rows = await db.all<{ bucket: bigint; rows: bigint; events: bigint }>(
    `SELECT r.bucket, r.rows, coalesce(e.events, 0) AS events
     FROM (SELECT bucket, count(*) AS rows FROM ${source} WHERE ${inBuckets} GROUP BY bucket) r
     LEFT JOIN (SELECT bucket, count(*) AS events FROM ${BUCKET_EVENTS_TABLE} GROUP BY bucket) e USING (bucket)`,
  );
  return new Map(rows.map((r) => [Number(r.bucket), { rows: Number(r.rows), events: Number(r.events) }]));
}
