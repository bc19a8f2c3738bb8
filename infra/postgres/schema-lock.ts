import type { SqlRunner } from './sql-runner.ts';

/**
 * Serializes DDL on one schema across processes: a transaction-scoped advisory lock, released by
 * COMMIT or ROLLBACK. Several speed processes start at once; without it two concurrent
 * `CREATE ... IF NOT EXISTS` can both pass the check and one fails on a catalog unique index.
 * Call inside BEGIN.
 */
export async function lockSchema(tx: SqlRunner, schema: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`lambdakappa/schema/${schema}`]);
}
