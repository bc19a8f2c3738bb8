import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { partitionPath } from '../shared/time/bucket.ts';
import { MASTER_PARTITION_MS, MASTER_PREFIX, parseMasterFileKey } from './master-dataset.ts';
import { parquetSource } from './parquet-source.ts';

/** A record of the master dataset as the log held it: its line, append time and position. */
export interface MasterRecord {
  readonly value: string;
  readonly timestamp: number;
  readonly partition: number;
  readonly offset: number;
}

/**
 * The master dataset's records of the event-time hours overlapping [from, to), duplicates
 * included, in log order (append time, partition, offset: the order the batch job's dedup keeps
 * the first copy by). For looking at a few hours (a window's explanation), not for a batch run.
 */
export async function readMasterRecords(objects: ObjectStore, db: DuckDb, from: number, to: number): Promise<MasterRecord[]> {
  const keys: string[] = [];
  for (let hour = Math.floor(from / MASTER_PARTITION_MS) * MASTER_PARTITION_MS; hour < to; hour += MASTER_PARTITION_MS) {
    for (const o of await objects.list(`${MASTER_PREFIX}${partitionPath(hour)}/`)) if (parseMasterFileKey(o.key)) keys.push(o.key);
  }
  if (keys.length === 0) return [];
  const files = await Promise.all(keys.map((k) => objects.localPath(k)));
  const rows = await db.all<{ raw: string; log_timestamp: bigint; log_partition: number; log_offset: bigint }>(
    `SELECT raw, log_timestamp, log_partition, log_offset FROM ${parquetSource(files)} ORDER BY log_timestamp, log_partition, log_offset`,
  );
  return rows.map((r) => ({ value: r.raw, timestamp: Number(r.log_timestamp), partition: r.log_partition, offset: Number(r.log_offset) }));
}
