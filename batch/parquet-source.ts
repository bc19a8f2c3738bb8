import { sqlString } from '../infra/duckdb/duckdb-database.ts';

/**
 * `read_parquet` over local files. Hive partitioning is off: the `dt=`/`hour=` segments of master
 * and pane keys are for people and listings, the files carry every column themselves.
 */
export function parquetSource(localFiles: readonly string[]): string {
  return `read_parquet([${localFiles.map(sqlString).join(', ')}], hive_partitioning = false)`;
}
