import { type EcommerceEvent as Event } from '../../../examples/ecommerce/pipeline.ts';
import type { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';

/**
 * Loads events into a DuckDB table shaped like the master dataset (one column per Event field,
 * integers as BIGINT), for tests of the transform's SQL twins.
 */
export async function createEventTable(db: DuckDb, table: string, events: readonly Event[]): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE ${table} (event_id VARCHAR, event_type VARCHAR, user_id VARCHAR, product_id VARCHAR,
    price BIGINT, quantity BIGINT, event_time BIGINT, session_id VARCHAR)`);
  const big = (x: number | null) => (x === null ? null : BigInt(x));
  await db.append(
    table,
    events.map((e) => [e.event_id, e.event_type, e.user_id, e.product_id, big(e.price), big(e.quantity), BigInt(e.event_time), e.session_id]),
  );
}
