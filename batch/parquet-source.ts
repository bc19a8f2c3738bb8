import { sqlString } from '../infra/duckdb/duckdb-database.ts';

/**
 * `read_parquet` over local files. Hive partitioning is off: the `dt=`/`hour=` segments of master
 * and pane keys are for people and listings, the files carry every column themselves. With
 * `rowIds`, every row also names itself by `file_row_number` and, when selected by name, the
 * virtual column `file_index` (the file's position in `localFiles`): the identity the batch job's
 * dedup drops rows by (exact even if two files held the same record; integers, so cheaper to join
 * on than file names). Statements that share row ids must list the files in the same order.
 */
export function parquetSource(localFiles: readonly string[], options: { rowIds?: boolean } = {}): string {
  const ids = options.rowIds ? ', file_row_number = true' : '';
  return `read_parquet([${localFiles.map(sqlString).join(', ')}], hive_partitioning = false${ids})`;
}
