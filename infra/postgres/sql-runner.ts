/**
 * The one query method the SQL helpers of this folder need. A pg client or pool satisfies it
 * structurally, so migrations and DDL live in plain files and only postgres-view-store.ts imports pg.
 */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
}
