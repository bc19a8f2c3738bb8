import pg from 'pg';
import type { SeenIds } from '../../shared/compute/dedup.ts';
import { NO_DEDUP_CHANGES, type PartitionCheckpoint } from '../../shared/compute/partition-processor.ts';
import { paneIdString, type Pane } from '../../shared/compute/pane.ts';
import { ConfigError, LoadStateError, PartitionFencedError, ServiceUnavailableError, UnfinishedLoadError } from '../../shared/errors.ts';
import { assertFinishingCommits, fencedPartitions, rowLimit, type NamespaceLoad, type PaneQuery, type PartitionCommit, type PartitionState, type StateBounds, type StoredPane, type ViewStore } from '../../shared/ports/view-store.ts';
import { applyMigrations } from './migrations.ts';
import { PaneTable } from './pane-table.ts';
import { int8ArrayLiteral, textArrayLiteral } from './array-literal.ts';
import { deleteColumns, storedPaneOf, upsertColumns } from './pane-rows.ts';
import { missingNamespaceError, postgresError } from './postgres-errors.ts';
import { lockSchema } from './schema-lock.ts';
import { assertViewStoreName, quoteIdent } from './sql-identifier.ts';
import type { SqlRunner } from './sql-runner.ts';

/** Rows per bulk statement: large enough to amortise the round trip, small enough to bound one message. */
const CHUNK_ROWS = 5_000;

export interface PostgresViewStoreOptions {
  readonly url: string;
  /** Schema holding the store's tables; created on open. */
  readonly schema: string;
  /** Connections in the pool (default 4): partitions of one commit are written on up to this many at once. */
  readonly poolSize?: number;
}

/**
 * The ViewStore port on PostgreSQL, the only file that imports pg. Shared tables (namespaces,
 * checkpoints, aliases) come from versioned migrations applied on open; each namespace gets its own
 * panes table (pane-table.ts). A commit is one transaction per partition (deletes, bulk upserts,
 * dedup ids and the checkpoint), so after a crash each partition's stored panes match its stored
 * offsets and nothing is counted twice.
 */
export class PostgresViewStore implements ViewStore {
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #schema: string;
  readonly #s: string;

  private constructor(pool: pg.Pool, url: string, schema: string) {
    this.#pool = pool;
    this.#url = url;
    this.#schema = schema;
    this.#s = quoteIdent(schema);
  }

  /** Connects, applies pending migrations, and returns the store; throws ServiceUnavailableError/ConfigError saying what to set. */
  static async open(options: PostgresViewStoreOptions): Promise<PostgresViewStore> {
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(options.schema)) throw new ConfigError(`PostgreSQL schema "${options.schema}" must be a lowercase SQL identifier; fix PG_SCHEMA`);
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 4, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
    // An idle pooled connection that dies (server restart) emits 'error' on the pool; without a
    // listener Node would crash the process. The pool drops that client and the next query reconnects.
    pool.on('error', () => undefined);
    const store = new PostgresViewStore(pool, options.url, options.schema);
    try {
      await store.#withClient((c) => applyMigrations(c, options.schema));
      return store;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw postgresError(err, options.url);
    }
  }

  /** True when PostgreSQL at `url` accepts a login and answers a query (for local service discovery). */
  static async ping(url: string, timeoutMs = 3_000): Promise<boolean> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async ensureNamespace(namespace: string): Promise<void> {
    assertViewStoreName('namespace', namespace);
    const table = this.#table(namespace);
    await this.#transaction(async (tx) => {
      await lockSchema(tx, this.#schema);
      const { rows } = await tx.query(`SELECT loading FROM ${this.#s}.namespaces WHERE name = $1`, [namespace]);
      if (rows[0]?.loading === true) throw new UnfinishedLoadError(namespace);
      for (const sql of table.createSql()) await tx.query(sql);
      await tx.query(`INSERT INTO ${this.#s}.namespaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [namespace]);
    });
  }

  async beginLoad(namespace: string): Promise<NamespaceLoad> {
    assertViewStoreName('namespace', namespace);
    const table = this.#table(namespace);
    await this.#transaction(async (tx) => {
      await lockSchema(tx, this.#schema);
      const { rows } = await tx.query(`SELECT 1 FROM ${this.#s}.namespaces WHERE name = $1`, [namespace]);
      if (rows.length > 0) throw LoadStateError.exists(namespace);
      await tx.query(table.createUnindexedSql());
      await tx.query(`INSERT INTO ${this.#s}.namespaces (name, loading) VALUES ($1, true)`, [namespace]);
    });
    return {
      namespace,
      append: async (partition, panes) => {
        if (panes.length === 0) return;
        // Durable when acknowledged, as commit: the replay goes on after it and never writes these panes again.
        await this.#transaction(async (tx) => {
          await appendPanes(tx, table, partition, panes);
        }, namespace);
      },
      finish: (commits) =>
        this.#transaction(async (tx) => {
          await lockSchema(tx, this.#schema);
          const r = await tx.query(`UPDATE ${this.#s}.namespaces SET loading = false WHERE name = $1 AND loading`, [namespace]);
          if (r.rowCount !== 1) throw LoadStateError.notLoading(namespace);
          // The open panes are new rows too: appended before the indexes exist, they cost what the
          // closed ones did instead of an indexed upsert each (a pane that was appended already
          // fails the primary key build, as the port says).
          assertFinishingCommits(commits);
          const groups = byPartition(commits);
          for (const [partition, list] of groups) {
            // A pane in two commits of the partition: its last version, as commit would leave it.
            await appendPanes(tx, table, partition, lastPerPane(list.flatMap((c) => [...(c.inserts ?? []), ...c.upserts])));
          }
          // Sorting for the primary key in memory rather than in temporary files.
          await tx.query(`SET LOCAL maintenance_work_mem = '256MB'`);
          for (const sql of table.indexSql()) await tx.query(sql);
          // The panes are in; the rest of each commit (ids, checkpoint) as commit applies it.
          for (const list of groups.values()) await this.#applyCommits(tx, table, namespace, list.map((c) => ({ ...c, inserts: [], upserts: [] })));
        }, namespace),
    };
  }

  async unfinishedLoads(): Promise<string[]> {
    const { rows } = await this.#query(`SELECT name FROM ${this.#s}.namespaces WHERE loading ORDER BY name`);
    return rows.map((r) => r.name as string);
  }

  async commit(namespace: string, commits: readonly PartitionCommit[]): Promise<void> {
    assertViewStoreName('namespace', namespace);
    if (commits.length === 0) {
      // Nothing to write, but committing to a namespace that does not exist is still the caller's bug.
      const { rows } = await this.#query(`SELECT 1 FROM ${this.#s}.namespaces WHERE name = $1`, [namespace]);
      if (rows.length === 0) throw missingNamespaceError(namespace);
      return;
    }
    const table = this.#table(namespace);
    // One transaction per partition, on connections of their own: exactly-once needs each
    // partition's panes, dedup ids and checkpoint to be visible together, never all partitions at
    // once, and one connection upserts only 40-55k rows/s (the pool runs them side by side).
    const results = await Promise.allSettled(
      [...byPartition(commits).values()].map((list) =>
        // Committed with the server's synchronous_commit (on by default): an acknowledged commit must
        // survive a server crash, because the stream job goes on from it without a restart (it waits
        // out an outage, storeRetryMs) and writes only the panes that change later. A commit lost
        // after its acknowledgement would leave later checkpoints claiming panes the store lost.
        this.#transaction(async (tx) => {
          await this.#applyCommits(tx, table, namespace, list);
        }, namespace),
      ),
    );
    // Settled, not Promise.all: a failure reported while other partitions are still writing would
    // let the caller go on (or close the pool) under them.
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const fenced = failures.filter((e): e is PartitionFencedError => e instanceof PartitionFencedError);
    // Any other failure first (the store is down, say); else every fenced partition in one error.
    const other = failures.find((e) => !(e instanceof PartitionFencedError));
    if (other !== undefined) throw other;
    if (fenced.length > 0) throw new PartitionFencedError(namespace, fenced.flatMap((e) => e.partitions).sort((a, b) => a - b));
  }

  async checkpoints(namespace: string): Promise<Map<number, PartitionCheckpoint>> {
    assertViewStoreName('namespace', namespace);
    const { rows } = await this.#query(
      `SELECT c.partition, c.checkpoint FROM ${this.#s}.namespaces n
       LEFT JOIN ${this.#s}.checkpoints c ON c.namespace = n.name WHERE n.name = $1`,
      [namespace],
    );
    if (rows.length === 0) throw missingNamespaceError(namespace);
    const out = new Map<number, PartitionCheckpoint>();
    for (const r of rows) if (r.partition !== null) out.set(r.partition as number, r.checkpoint as PartitionCheckpoint);
    return out;
  }

  async seenIds(namespace: string, partition: number, since: number): Promise<SeenIds> {
    assertViewStoreName('namespace', namespace);
    const { rows } = await this.#query(this.#seenSql(), [namespace, partition, clampBigint(since)], namespace);
    return seenIdsOf(rows, since);
  }

  /**
   * One REPEATABLE READ transaction: every statement sees the snapshot its first one took, so
   * each partition's panes and ids are those of the checkpoint read with them, whatever commits
   * meanwhile (each commit is one transaction: wholly in the snapshot or not at all).
   */
  async committedState(namespace: string, bounds: StateBounds): Promise<PartitionState[]> {
    assertViewStoreName('namespace', namespace);
    const table = this.#table(namespace);
    return this.#withClient(async (tx) => {
      await tx.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const { rows } = await tx.query(
          `SELECT c.partition, c.checkpoint FROM ${this.#s}.namespaces n
           LEFT JOIN ${this.#s}.checkpoints c ON c.namespace = n.name WHERE n.name = $1 ORDER BY c.partition`,
          [namespace],
        );
        if (rows.length === 0) throw missingNamespaceError(namespace);
        const out: PartitionState[] = [];
        for (const r of rows) {
          if (r.partition === null) continue;
          const partition = r.partition as number;
          const checkpoint = r.checkpoint as PartitionCheckpoint;
          const { minBucket, idsSince } = bounds(checkpoint);
          const panes = await tx.query(table.partitionSql(), [partition, clampBigint(minBucket)]);
          const seen = await tx.query(this.#seenSql(), [namespace, partition, clampBigint(idsSince)]);
          out.push({ checkpoint, panes: panes.rows.map(storedPaneOf), seen: seenIdsOf(seen.rows, idsSince) });
        }
        await tx.query('COMMIT');
        return out;
      } catch (err) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }, namespace);
  }

  #seenSql(): string {
    return `SELECT ids, times FROM ${this.#s}.seen_ids WHERE namespace = $1 AND partition = $2 AND max_time >= $3`;
  }


  async partitionPanes(namespace: string, partition: number, minBucket: number, minStart?: number): Promise<StoredPane[]> {
    assertViewStoreName('namespace', namespace);
    const params = minStart === undefined ? [partition, minBucket] : [partition, minBucket, clampBigint(Math.ceil(minStart))];
    const { rows } = await this.#query(this.#table(namespace).partitionSql(minStart !== undefined), params, namespace);
    return rows.map(storedPaneOf);
  }

  async queryPanes(namespace: string, q: PaneQuery): Promise<StoredPane[]> {
    assertViewStoreName('namespace', namespace);
    const params: unknown[] = [q.view, q.from, q.to, q.minBucket ?? Number.MIN_SAFE_INTEGER, clampBigint(q.minStart ?? Number.NEGATIVE_INFINITY)];
    if (q.key !== undefined) params.push(q.key);
    const after = q.ordered?.after;
    if (after !== undefined) params.push(after.key, clampBigint(after.start));
    // No ORDER BY unless a page is read (then the primary key's order): with a LIMIT PostgreSQL stops reading once it has the rows.
    if (q.maxRows !== undefined) params.push(rowLimit(q.maxRows));
    const sql = this.#table(namespace).querySql(q.key !== undefined, q.maxRows !== undefined, q.ordered !== undefined, after !== undefined);
    const { rows } = await this.#query(sql, params, namespace);
    return rows.map(storedPaneOf);
  }

  async expireBefore(namespace: string, bucket: number): Promise<number> {
    assertViewStoreName('namespace', namespace);
    const r = await this.#query(this.#table(namespace).expireSql(), [bucket], namespace);
    return r.rowCount ?? 0;
  }

  async setAlias(alias: string, namespace: string): Promise<void> {
    assertViewStoreName('alias', alias);
    assertViewStoreName('namespace', namespace);
    // One statement: readers see the old target or the new one, never neither (the cut-over).
    const r = await this.#query(
      `INSERT INTO ${this.#s}.aliases (alias, namespace) SELECT $1, name FROM ${this.#s}.namespaces WHERE name = $2 AND NOT loading
       ON CONFLICT (alias) DO UPDATE SET namespace = EXCLUDED.namespace, updated_at = now()`,
      [alias, namespace],
    );
    if (r.rowCount === 0) throw await this.#withClient((c) => this.#unusableNamespaceError(c, namespace));
  }

  async getAlias(alias: string): Promise<string | undefined> {
    assertViewStoreName('alias', alias);
    const { rows } = await this.#query(`SELECT namespace FROM ${this.#s}.aliases WHERE alias = $1`, [alias]);
    return rows.length > 0 ? (rows[0].namespace as string) : undefined;
  }

  async listNamespaces(): Promise<string[]> {
    const { rows } = await this.#query(`SELECT name FROM ${this.#s}.namespaces ORDER BY name`);
    return rows.map((r) => r.name as string);
  }

  async dropNamespace(namespace: string): Promise<void> {
    assertViewStoreName('namespace', namespace);
    await this.#transaction(async (tx) => {
      await lockSchema(tx, this.#schema);
      await tx.query(this.#table(namespace).dropSql());
      // Checkpoints go with it (ON DELETE CASCADE); an alias still naming it is left for the caller to move.
      await tx.query(`DELETE FROM ${this.#s}.namespaces WHERE name = $1`, [namespace]);
    });
  }

  /** Closes the pool; closing again is a no-op. */
  async close(): Promise<void> {
    if (this.#pool.ended || this.#pool.ending) return;
    await this.#pool.end();
  }

  /** One partition's commits, in order, inside the caller's transaction: deletes, upserts, dedup ids, then the checkpoint. */
  async #applyCommits(tx: SqlRunner, table: PaneTable, namespace: string, list: readonly PartitionCommit[]): Promise<void> {
    if (list.some((c) => c.base !== undefined)) await this.#fence(tx, namespace, list);
    for (const c of list) {
      for (let i = 0; i < c.deletes.length; i += CHUNK_ROWS) {
        await tx.query(table.deleteSql(), [c.partition, ...deleteColumns(c.deletes.slice(i, i + CHUNK_ROWS))]);
      }
      // New panes skip ON CONFLICT's speculative insertion (scratch, per row: 6.8 µs against 11.5 µs
      // for new rows); a row that is there after all fails the commit rather than being overwritten.
      await appendPanes(tx, table, c.partition, c.inserts ?? []);
      // ON CONFLICT may touch a row once per statement, so a pane listed twice keeps its last version.
      const upserts = lastPerPane(c.upserts);
      for (let i = 0; i < upserts.length; i += CHUNK_ROWS) {
        await tx.query(table.upsertSql(), [c.partition, ...upsertColumns(upserts.slice(i, i + CHUNK_ROWS))]);
      }
      await this.#writeSeen(tx, namespace, c);
    }
    const last = list[list.length - 1];
    const r = await tx.query(
      `INSERT INTO ${this.#s}.checkpoints (namespace, partition, checkpoint)
       SELECT n.name, $2, $3::json FROM ${this.#s}.namespaces n WHERE n.name = $1 AND NOT n.loading
       ON CONFLICT (namespace, partition) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()`,
      [namespace, last.partition, JSON.stringify(last.checkpoint)],
    );
    if (r.rowCount !== 1) throw await this.#unusableNamespaceError(tx, namespace);
  }

  /**
   * Refuses the partition's commits unless they build on its stored checkpoint (fencedPartitions).
   * Two members of a group can commit one partition at once during a rebalance; the advisory lock
   * (two-key space, apart from the schema lock's) makes the second wait for the first and then
   * see its checkpoint, which a row lock could not do for a partition without a checkpoint row.
   */
  async #fence(tx: SqlRunner, namespace: string, list: readonly PartitionCommit[]): Promise<void> {
    const partition = list[0].partition;
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1), $2)', [`lambdakappa/commit/${this.#schema}.${namespace}`, partition]);
    const { rows } = await tx.query(`SELECT checkpoint FROM ${this.#s}.checkpoints WHERE namespace = $1 AND partition = $2`, [namespace, partition]);
    const stored = rows.length === 0 ? null : (rows[0].checkpoint as PartitionCheckpoint).nextOffset;
    const fenced = fencedPartitions(list, () => stored);
    if (fenced.length > 0) throw new PartitionFencedError(namespace, fenced);
  }

  /** Why a namespace refused a write: it is missing, or an unfinished load. */
  async #unusableNamespaceError(tx: SqlRunner, namespace: string): Promise<Error> {
    const { rows } = await tx.query(`SELECT loading FROM ${this.#s}.namespaces WHERE name = $1`, [namespace]);
    return rows[0]?.loading === true ? new UnfinishedLoadError(namespace) : missingNamespaceError(namespace);
  }

  /** Appends the commit's dedup changelog as one row and drops rows wholly before its cutoff. */
  async #writeSeen(tx: SqlRunner, namespace: string, c: PartitionCommit): Promise<void> {
    const { added, forgetBefore } = c.dedup ?? NO_DEDUP_CHANGES;
    if (Number.isFinite(forgetBefore)) {
      await tx.query(`DELETE FROM ${this.#s}.seen_ids WHERE namespace = $1 AND partition = $2 AND max_time < $3`, [namespace, c.partition, clampBigint(forgetBefore)]);
    }
    if (added.ids.length === 0) return;
    let maxTime = Number.NEGATIVE_INFINITY;
    for (const t of added.times) if (t > maxTime) maxTime = t;
    await tx.query(`INSERT INTO ${this.#s}.seen_ids (namespace, partition, max_time, ids, times) VALUES ($1, $2, $3, $4, $5)`, [
      namespace,
      c.partition,
      maxTime,
      textArrayLiteral(added.ids),
      int8ArrayLiteral(added.times),
    ]);
  }

  #table(namespace: string): PaneTable {
    return new PaneTable(this.#schema, namespace);
  }

  async #query(sql: string, params?: unknown[], namespace?: string): Promise<pg.QueryResult<Record<string, unknown>>> {
    try {
      return await this.#pool.query(sql, params);
    } catch (err) {
      throw postgresError(err, this.#url, namespace);
    }
  }

  async #withClient<T>(fn: (client: SqlRunner) => Promise<T>, namespace?: string): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw postgresError(err, this.#url);
    }
    let broken = false;
    try {
      return await fn(client);
    } catch (err) {
      const mapped = postgresError(err, this.#url, namespace);
      // A connection that failed must not go back to the pool; one that only saw a SQL error was rolled back and is fine.
      broken = mapped instanceof ServiceUnavailableError;
      throw mapped;
    } finally {
      client.release(broken);
    }
  }

  #transaction<T>(fn: (tx: SqlRunner) => Promise<T>, namespace?: string): Promise<T> {
    return this.#withClient(async (tx) => {
      await tx.query('BEGIN');
      try {
        const out = await fn(tx);
        await tx.query('COMMIT');
        return out;
      } catch (err) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }, namespace);
  }
}

/** The ids of seen_ids rows seen at or after `since` (a row holds one commit's changelog, some of it older). */
function seenIdsOf(rows: readonly Record<string, unknown>[], since: number): SeenIds {
  const ids: string[] = [];
  const times: number[] = [];
  for (const r of rows) {
    // pg returns bigint[] elements as strings (int8 can exceed a double); event times fit.
    const rowIds = r.ids as string[];
    const rowTimes = r.times as string[];
    for (let i = 0; i < rowIds.length; i++) {
      const t = Number(rowTimes[i]);
      if (t >= since) {
        ids.push(rowIds[i]);
        times.push(t);
      }
    }
  }
  return { ids, times };
}

/** Plain INSERTs of panes into a bulk load's unindexed table, in bounded statements. */
async function appendPanes(tx: SqlRunner, table: PaneTable, partition: number, panes: readonly Pane[]): Promise<void> {
  for (let i = 0; i < panes.length; i += CHUNK_ROWS) await tx.query(table.appendSql(), [partition, ...upsertColumns(panes.slice(i, i + CHUNK_ROWS))]);
}

/** Commits grouped by partition, each group in call order. */
function byPartition(commits: readonly PartitionCommit[]): Map<number, PartitionCommit[]> {
  const out = new Map<number, PartitionCommit[]>();
  for (const c of commits) {
    const list = out.get(c.partition);
    if (list) list.push(c);
    else out.set(c.partition, [c]);
  }
  return out;
}

/** The upserts with each pane once, at its last version (commit order is change order). */
function lastPerPane(panes: readonly Pane[]): readonly Pane[] {
  const byId = new Map<string, Pane>();
  for (const p of panes) byId.set(paneIdString(p), p);
  return byId.size === panes.length ? panes : [...byId.values()];
}

/** A time bound as a bigint parameter: infinities clamp to the range event times live in. */
function clampBigint(t: number): number {
  return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(t)));
}
