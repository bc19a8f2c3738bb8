import type { SqlValue } from '../infra/duckdb/duckdb-database.ts';
import { sqlIdentifier } from '../shared/compute/expression/expression-sql.ts';
import type { Event } from '../shared/model/event.ts';
import type { EventSchema } from '../shared/model/event-schema.ts';
import type { FieldSpec } from '../shared/model/field-spec.ts';
import { bucketOf, HOUR_MS, parsePartitionPath, partitionPath } from '../shared/time/bucket.ts';

/**
 * The master dataset: the immutable raw record of every valid event the log delivered, duplicates
 * included (the batch job dedups). Parquet files under
 * `master/dt=YYYY-MM-DD/hour=HH/p<partition>-<firstOffset>-<lastOffset>.parquet`, partitioned by
 * the hour of the event time. The layout is hourly whatever the pipeline's bucket size: raw data
 * must not depend on a setting of the views computed from it.
 *
 * A file holds records of one log partition and one hour, in offset order; its name is made of the
 * first and last offset it holds, so a retried archive writes the same name with the same content.
 */
export const MASTER_PREFIX = 'master/';

/** Event-time span of one master partition directory. */
export const MASTER_PARTITION_MS = HOUR_MS;

/**
 * The DuckDB type a field's validated values are stored as (decimals scaled, timestamps epoch ms):
 * an integer whose declared range fits 32 bits is INTEGER (smaller files, cheaper scans).
 */
function columnType(f: FieldSpec): string {
  if (f.type === 'string' || f.type === 'enum') return 'VARCHAR';
  if (f.type === 'boolean') return 'BOOLEAN';
  if (f.type === 'integer' && f.min !== undefined && f.max !== undefined && f.min >= -(2 ** 31) && f.max < 2 ** 31) return 'INTEGER';
  return 'BIGINT';
}

/**
 * Columns of a master file, in file order, with their DuckDB types: the schema's fields by name
 * (checkSchema reserves the log columns' names), then where the record sat in the log, then the record.
 */
export function masterColumns(schema: EventSchema): readonly (readonly [name: string, type: string])[] {
  return [...Object.entries(schema.fields).map(([name, f]) => [name, columnType(f)] as const), ...LOG_COLUMNS];
}

const LOG_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['log_partition', 'INTEGER'],
  ['log_offset', 'BIGINT'],
  // Append time (epoch ms): the batch job's dedup keeps the first copy by (log_timestamp, log_partition, log_offset).
  ['log_timestamp', 'BIGINT'],
  // The record as the log held it, so the master dataset can be re-read under a future validation rule.
  ['raw', 'VARCHAR'],
];

/** What a master file's key says about it. */
export interface MasterFile {
  readonly key: string;
  /** Start of the event-time hour the file's records fall in. */
  readonly hour: number;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** Where a log record sits: the part of a LogRecord the master dataset keeps. */
export interface MasterRecordSource {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly value: string;
}

// Offsets are zero-padded so keys list in offset order; wider offsets still parse.
const OFFSET_DIGITS = 12;
const FILE_NAME = /^p(\d+)-(\d+)-(\d+)\.parquet$/;

/** The hour directory an event lands in. */
export function masterHourOf(eventTime: number): number {
  return bucketOf(eventTime, MASTER_PARTITION_MS);
}

/** The key of the master file of one partition's records [firstOffset, lastOffset] in one hour. */
export function masterFileKey(hour: number, partition: number, firstOffset: number, lastOffset: number): string {
  const pad = (n: number) => String(n).padStart(OFFSET_DIGITS, '0');
  return `${MASTER_PREFIX}${partitionPath(hour)}/p${partition}-${pad(firstOffset)}-${pad(lastOffset)}.parquet`;
}

/** Parses a master file key; undefined for keys that are not master files (temp files, strays). */
export function parseMasterFileKey(key: string): MasterFile | undefined {
  if (!key.startsWith(MASTER_PREFIX)) return undefined;
  const hour = parsePartitionPath(key);
  const m = FILE_NAME.exec(key.slice(key.lastIndexOf('/') + 1));
  if (hour === undefined || !m) return undefined;
  return { key, hour, partition: Number(m[1]), firstOffset: Number(m[2]), lastOffset: Number(m[3]) };
}

/** `CREATE TABLE` column list of the master schema. */
export function masterColumnsSql(schema: EventSchema): string {
  return masterColumns(schema)
    .map(([name, type]) => `${sqlIdentifier(name)} ${type}`)
    .join(', ');
}

/** The function building one master row, in `masterColumns` order, for DuckDb.append. */
export function masterRowOf(schema: EventSchema): (e: Event, r: MasterRecordSource) => SqlValue[] {
  const names = Object.keys(schema.fields);
  return (e, r) => {
    const row: SqlValue[] = names.map((n) => e[n]);
    row.push(r.partition, r.offset, r.timestamp, r.value);
    return row;
  };
}
