import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';

/**
 * Runs `work` for every item, as many at a time as the database has threads, each on a DuckDB
 * connection of its own; with as many items as threads or more, each statement runs on one thread.
 * Returns the results in item order and calls `onDone` as each item finishes. After a failure no
 * further item starts; the first error is thrown once the running ones have finished.
 *
 * Why not let DuckDB parallelise each statement: a batch chunk's statements are small (an hour of
 * events), and DuckDB's parallel sorts and hash tables cost more per row than single-threaded
 * ones at that size (partitioning, merging, cache misses). One single-threaded statement per core
 * keeps every core busy and measured about a quarter less CPU for the same work. The thread
 * setting is the database's, so it is lowered for the duration and restored afterwards: no other
 * statement should run on this database meanwhile.
 */
export async function onParallelConnections<T, R>(db: DuckDb, items: readonly T[], work: (conn: DuckDb, item: T) => Promise<R>, onDone?: (result: R, item: T) => void): Promise<R[]> {
  if (items.length === 0) return [];
  const [{ threads }] = await db.all<{ threads: bigint | number }>(`SELECT current_setting('threads')::BIGINT AS threads`);
  const parallelism = Math.max(1, Math.min(Number(threads), items.length));
  const perStatement = Math.max(1, Math.floor(Number(threads) / parallelism));
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  await db.run(`SET threads = ${perStatement}`);
  try {
    await Promise.all(
      Array.from({ length: parallelism }, async () => {
        const conn = await db.connect();
        try {
          while (failure === undefined && next < items.length) {
            const i = next++;
            try {
              results[i] = await work(conn, items[i]);
              onDone?.(results[i], items[i]);
            } catch (error) {
              failure ??= { error };
            }
          }
        } finally {
          await conn.close();
        }
      }),
    );
  } finally {
    await db.run(`SET threads = ${Number(threads)}`);
  }
  if (failure) throw failure.error;
  return results;
}
