import { LkError } from '../../shared/errors.ts';
import { lockSchema } from './schema-lock.ts';
import { quoteIdent } from './sql-identifier.ts';
import type { SqlRunner } from './sql-runner.ts';

/** One forward-only step of the store's shared tables. Never edit a released step; append a new one. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  sql(schema: string): string;
}

/**
 * The shared tables of a schema. Each namespace's panes table is created by `ensureNamespace`
 * (pane-table.ts); a later step that changes panes tables must loop over `namespaces`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'namespaces, checkpoints, aliases',
    sql: (schema) => {
      const s = quoteIdent(schema);
      return `
        CREATE TABLE ${s}.namespaces (
          name text PRIMARY KEY,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE ${s}.checkpoints (
          namespace text NOT NULL REFERENCES ${s}.namespaces (name) ON DELETE CASCADE,
          partition int NOT NULL,
          -- json, not jsonb: written and read whole, never queried inside; json skips the binary
          -- conversion and keeps strings jsonb rejects (U+0000 in a dedup id).
          checkpoint json NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (namespace, partition)
        );
        -- No foreign key to namespaces: an alias is a pointer that serving resolves, like a DNS name.
        CREATE TABLE ${s}.aliases (
          alias text PRIMARY KEY,
          namespace text NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );`;
    },
  },
  {
    version: 2,
    name: 'seen ids (the dedup changelog)',
    sql: (schema) => {
      const s = quoteIdent(schema);
      // One row per commit and partition, ids as arrays: a commit adds one row whatever its size,
      // and forgetting is a range delete on max_time. Checkpoints before this step carried their ids
      // inline; those ids are dropped (views are derived: a duplicate counted twice is fixed by a replay).
      return `
        CREATE TABLE ${s}.seen_ids (
          namespace text NOT NULL REFERENCES ${s}.namespaces (name) ON DELETE CASCADE,
          partition int NOT NULL,
          max_time bigint NOT NULL,
          ids text[] NOT NULL,
          times bigint[] NOT NULL
        );
        CREATE INDEX ON ${s}.seen_ids (namespace, partition, max_time);`;
    },
  },
  {
    version: 3,
    name: 'namespaces being bulk loaded',
    // True from beginLoad until its finish: such a namespace has panes but no checkpoints yet.
    sql: (schema) => `ALTER TABLE ${quoteIdent(schema)}.namespaces ADD COLUMN loading boolean NOT NULL DEFAULT false`,
  },
];

/**
 * Brings `schema` to the latest version, in one transaction under the schema lock, so two
 * processes starting at once apply each step exactly once (the second waits, then sees it done).
 * `conn` must be one connection, not a pool: BEGIN, the lock and COMMIT must share a session.
 * Returns the versions applied by this call.
 */
export async function applyMigrations(conn: SqlRunner, schema: string): Promise<number[]> {
  const s = quoteIdent(schema);
  const applied: number[] = [];
  await conn.query('BEGIN');
  try {
    await lockSchema(conn, schema);
    await conn.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await conn.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
      version int PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await conn.query(`SELECT version FROM ${s}.schema_migrations`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
    const newer = [...done].filter((v) => v > latest);
    if (newer.length > 0) {
      throw new LkError(`PostgreSQL schema "${schema}" is at version ${Math.max(...newer)}, newer than this build knows (${latest}); upgrade lambdakappa or use another PG_SCHEMA`);
    }
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await conn.query(m.sql(schema));
      await conn.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await conn.query('COMMIT');
    return applied;
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
