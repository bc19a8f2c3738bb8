import { resolve } from 'node:path';
import type { SeenIds } from '../../shared/compute/dedup.ts';
import { NO_DEDUP_CHANGES, type PartitionCheckpoint } from '../../shared/compute/partition-processor.ts';
import { paneIdString } from '../../shared/compute/pane.ts';
import { LkError, LoadStateError, NotFoundError, PartitionFencedError, UnfinishedLoadError } from '../../shared/errors.ts';
import type { Pane } from '../../shared/compute/pane.ts';
import { assertFinishingCommits, fencedPartitions, rowLimit, type NamespaceLoad, type PaneQuery, type PartitionCommit, type PartitionState, type StateBounds, type StoredPane, type ViewStore } from '../../shared/ports/view-store.ts';
import { DuckDb, type SqlValue } from './duckdb-database.ts';
import { assertViewNamespaceName } from './view-namespace-name.ts';

/** Files open in this process: two DuckDB instances on one file in one process corrupt it silently. */
const openFiles = new Set<string>();

const PANE_COLUMNS = 'view, key, start, "end", bucket, partition, acc, states';
/** The dedup changelog: one row per id. No key: ids arrive in roughly event-time order, so zone maps prune the range deletes and reads. */
const SEEN_COLUMNS = 'partition INTEGER NOT NULL, id VARCHAR NOT NULL, t BIGINT NOT NULL';

/** A type alias, not an interface: DuckDb.all wants rows assignable to Record<string, unknown>. */
type PaneRow = {
  readonly view: string;
  readonly key: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly bucket: bigint;
  readonly partition: number;
  readonly acc: number[];
  readonly states: string | null;
};

/**
 * The embedded view store: a DuckDB file (or ':memory:'). Per namespace a panes table, keyed by
 * (view, key, start, bucket, partition) with a secondary index on key for per-key serving
 * queries (the accumulator as DOUBLE[], the object measures' states as their JSON text in
 * `states`, NULL for a view without such measures), a checkpoints table (partition, JSON) and a seen-ids table (the dedup changelog, one
 * row per id); registry tables list the namespaces and aliases. A commit stages its rows with DuckDB's appender (bulk, not row-by-row INSERTs) and
 * applies deletes, upserts (INSERT ... ON CONFLICT DO UPDATE) and checkpoints in one transaction
 * (stronger than the port asks: atomic per partition).
 */
export class DuckDbViewStore implements ViewStore {
  readonly #db: DuckDb;
  readonly #file: string | undefined;
  readonly #namespaces: Set<string>;
  /** Namespaces whose bulk load has not finished (also in #namespaces). */
  readonly #loading: Set<string>;
  /** Commits share the staging tables, so they run one at a time. */
  #committing: Promise<unknown> = Promise.resolve();

  private constructor(db: DuckDb, file: string | undefined, namespaces: Set<string>, loading: Set<string>) {
    this.#db = db;
    this.#file = file;
    this.#namespaces = namespaces;
    this.#loading = loading;
  }

  /** Opens (creating if needed) the store in a DuckDB file, or in memory for ':memory:'. */
  static async open(path: string): Promise<DuckDbViewStore> {
    const file = path === ':memory:' ? undefined : resolve(path);
    if (file && openFiles.has(file)) {
      throw new LkError(`the view store ${file} is already open in this process: share the one DuckDbViewStore instead of opening it twice`);
    }
    let db: DuckDb;
    try {
      db = await DuckDb.open(file ?? ':memory:');
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/lock/i.test(msg)) {
        throw new LkError(`the view store ${file} is in use by another process (${msg.match(/PID \d+/)?.[0] ?? 'see cause'}): stop it, or give this process its own LK_DATA_DIR, or use the PostgreSQL view store (LK_VIEW_STORE=postgres); to stream and serve on one embedded store, \`lk run lambda | kappa | both\` hosts the jobs and the HTTP API in one process`, { cause: err });
      }
      throw new LkError(`cannot open the view store ${path}: ${msg}`, { cause: err });
    }
    try {
      await db.run(`
        CREATE TABLE IF NOT EXISTS lk_namespaces (name VARCHAR PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS lk_aliases (alias VARCHAR PRIMARY KEY, namespace VARCHAR NOT NULL);
        CREATE TABLE IF NOT EXISTS lk_loading (name VARCHAR PRIMARY KEY);
        CREATE TEMP TABLE lk_stage_upserts (view VARCHAR, key VARCHAR, start BIGINT, "end" BIGINT, bucket BIGINT, partition BIGINT, acc VARCHAR, states VARCHAR);
        CREATE TEMP TABLE lk_stage_deletes (view VARCHAR, key VARCHAR, start BIGINT, bucket BIGINT, partition BIGINT);
        CREATE TEMP TABLE lk_stage_seen (partition BIGINT, id VARCHAR, t BIGINT);
      `);
      const rows = await db.all<{ name: string }>('SELECT name FROM lk_namespaces');
      // Files written before the dedup changelog existed lack its table; add it (empty: ids then count from the restart on).
      for (const r of rows) await db.run(`CREATE TABLE IF NOT EXISTS ${tables(r.name).seen} (${SEEN_COLUMNS})`);
      // Files written before object measure states existed lack their column (NULL: a view without such measures).
      for (const r of rows) await db.run(`ALTER TABLE ${tables(r.name).panes} ADD COLUMN IF NOT EXISTS states VARCHAR`);
      const loading = await db.all<{ name: string }>('SELECT name FROM lk_loading');
      if (file) openFiles.add(file);
      return new DuckDbViewStore(db, file, new Set(rows.map((r) => r.name)), new Set(loading.map((r) => r.name)));
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }

  async ensureNamespace(namespace: string): Promise<void> {
    assertViewNamespaceName(namespace);
    if (this.#loading.has(namespace)) throw new UnfinishedLoadError(namespace);
    if (this.#namespaces.has(namespace)) return;
    await this.#createNamespace(namespace, false);
  }

  /**
   * A bulk load here keeps the primary key from the start: DuckDB cannot add one to a table
   * later, and the embedded store serves demos, not backfills of billions of panes. Appends still
   * skip the conflict check of an upsert.
   */
  async beginLoad(namespace: string): Promise<NamespaceLoad> {
    assertViewNamespaceName(namespace);
    if (this.#namespaces.has(namespace)) throw LoadStateError.exists(namespace);
    await this.#createNamespace(namespace, true);
    const { panes } = tables(namespace);
    return {
      namespace,
      append: async (partition, list) => {
        if (!this.#loading.has(namespace)) throw LoadStateError.notLoading(namespace);
        if (list.length === 0) return;
        const rows = list.map((p) => paneRow(p, toBigInt(partition, 'partition')));
        const run = this.#committing.then(async () => {
          await this.#db.run('DELETE FROM lk_stage_upserts');
          await this.#db.append('lk_stage_upserts', rows);
          await this.#db.run(`INSERT INTO ${panes} SELECT view, key, start, "end", bucket, partition, CAST(acc AS DOUBLE[]), states FROM lk_stage_upserts`);
        });
        this.#committing = run.catch(() => undefined);
        await run;
      },
      finish: async (commits) => {
        if (!this.#loading.has(namespace)) throw LoadStateError.notLoading(namespace);
        assertFinishingCommits(commits);
        await this.#commit(namespace, commits, (tx) => tx.run('DELETE FROM lk_loading WHERE name = $1', [namespace]));
        this.#loading.delete(namespace);
      },
    };
  }

  async unfinishedLoads(): Promise<string[]> {
    return [...this.#loading].sort();
  }

  async #createNamespace(namespace: string, loading: boolean): Promise<void> {
    const { panes, checkpoints, seen } = tables(namespace);
    await this.#db.transaction(async (tx) => {
      await tx.run(`CREATE TABLE IF NOT EXISTS ${panes} (
        view VARCHAR NOT NULL, key VARCHAR NOT NULL, start BIGINT NOT NULL, "end" BIGINT NOT NULL,
        bucket BIGINT NOT NULL, partition INTEGER NOT NULL, acc DOUBLE[] NOT NULL, states VARCHAR,
        PRIMARY KEY (view, key, start, bucket, partition))`);
      // The primary key's index serves only full-key lookups; per-key serving queries use this one.
      await tx.run(`CREATE INDEX IF NOT EXISTS ${quote(`${namespace}_panes_key`)} ON ${panes} (key)`);
      await tx.run(`CREATE TABLE IF NOT EXISTS ${checkpoints} (partition INTEGER PRIMARY KEY, checkpoint VARCHAR NOT NULL)`);
      await tx.run(`CREATE TABLE IF NOT EXISTS ${seen} (${SEEN_COLUMNS})`);
      await tx.run('INSERT OR IGNORE INTO lk_namespaces VALUES ($1)', [namespace]);
      if (loading) await tx.run('INSERT INTO lk_loading VALUES ($1)', [namespace]);
    });
    this.#namespaces.add(namespace);
    if (loading) this.#loading.add(namespace);
  }

  async commit(namespace: string, commits: readonly PartitionCommit[]): Promise<void> {
    this.#tablesOf(namespace);
    if (this.#loading.has(namespace)) throw new UnfinishedLoadError(namespace);
    await this.#commit(namespace, commits);
  }

  /** Applies the commits in one transaction, with `also` run inside it. */
  async #commit(namespace: string, commits: readonly PartitionCommit[], also?: (tx: Pick<DuckDb, 'run'>) => Promise<unknown>): Promise<void> {
    const { panes, checkpoints, seen } = this.#tablesOf(namespace);
    if (commits.length === 0 && also === undefined) return;
    // Everything that can fail on bad input fails here, before the database is touched.
    const upserts = new Map<string, SqlValue[]>();
    const deletes: SqlValue[][] = [];
    // One checkpoint per partition: a later commit of the same partition in this call wins.
    const cps = new Map<number, string>();
    const seenRows: SqlValue[][] = [];
    const forget = new Map<number, number>();
    for (const c of commits) {
      const partition = toBigInt(c.partition, 'partition');
      for (const d of c.deletes) {
        // Commits apply in order: a delete cancels an upsert of the same pane in an earlier commit of this call.
        upserts.delete(`${c.partition}\u0000${paneIdString(d)}`);
        deletes.push([d.view, d.key, toBigInt(d.start, 'start'), toBigInt(d.bucket, 'bucket'), partition]);
      }
      // A pane upserted twice in one commit: the last one wins (INSERT OR REPLACE may not touch a row twice).
      // Inserts are upserted too: the embedded store gains nothing from skipping the conflict check.
      for (const u of c.inserts ?? []) upserts.set(`${c.partition}\u0000${paneIdString(u)}`, paneRow(u, partition));
      for (const u of c.upserts) upserts.set(`${c.partition}\u0000${paneIdString(u)}`, paneRow(u, partition));
      cps.set(c.partition, JSON.stringify(c.checkpoint));
      const { added, forgetBefore } = c.dedup ?? NO_DEDUP_CHANGES;
      for (let i = 0; i < added.ids.length; i++) seenRows.push([partition, added.ids[i], toBigInt(added.times[i], 'event time')]);
      if (Number.isFinite(forgetBefore)) forget.set(c.partition, forgetBefore);
    }
    const run = this.#committing.then(async () => {
      const db = this.#db;
      // One process writes the embedded store and its commits run one at a time (#committing), so
      // the checkpoints read here are the ones the transaction below replaces.
      if (commits.some((c) => c.base !== undefined)) {
        const rows = await db.all<{ partition: number; checkpoint: string }>(`SELECT partition, checkpoint FROM ${checkpoints}`);
        const stored = new Map(rows.map((r) => [r.partition, (JSON.parse(r.checkpoint) as PartitionCheckpoint).nextOffset]));
        const fenced = fencedPartitions(commits, (p) => stored.get(p) ?? null);
        if (fenced.length > 0) throw new PartitionFencedError(namespace, fenced);
      }
      await db.run('DELETE FROM lk_stage_upserts; DELETE FROM lk_stage_deletes; DELETE FROM lk_stage_seen');
      if (deletes.length > 0) await db.append('lk_stage_deletes', deletes);
      if (upserts.size > 0) await db.append('lk_stage_upserts', upserts.values());
      if (seenRows.length > 0) await db.append('lk_stage_seen', seenRows);
      await db.transaction(async (tx) => {
        if (deletes.length > 0) {
          await tx.run(`DELETE FROM ${panes} AS p USING lk_stage_deletes AS d
            WHERE p.view = d.view AND p.key = d.key AND p.start = d.start AND p.bucket = d.bucket AND p.partition = d.partition`);
        }
        if (upserts.size > 0) {
          // Only the non-key columns change on conflict: updating indexed columns costs DuckDB a delete + insert.
          await tx.run(`INSERT INTO ${panes} SELECT view, key, start, "end", bucket, partition, CAST(acc AS DOUBLE[]), states FROM lk_stage_upserts
            ON CONFLICT DO UPDATE SET "end" = excluded."end", acc = excluded.acc, states = excluded.states`);
        }
        for (const [partition, before] of forget) await tx.run(`DELETE FROM ${seen} WHERE partition = $1 AND t < $2`, [partition, bound(before, 'up')]);
        if (seenRows.length > 0) await tx.run(`INSERT INTO ${seen} SELECT partition, id, t FROM lk_stage_seen`);
        if (cps.size > 0) {
          const values = [...cps.keys()].map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
          await tx.run(`INSERT INTO ${checkpoints} VALUES ${values} ON CONFLICT DO UPDATE SET checkpoint = excluded.checkpoint`, [...cps].flat());
        }
        if (also) await also(tx);
      });
    });
    this.#committing = run.catch(() => undefined);
    await run;
  }

  async checkpoints(namespace: string): Promise<Map<number, PartitionCheckpoint>> {
    const { checkpoints } = this.#tablesOf(namespace);
    const rows = await this.#db.all<{ partition: number; checkpoint: string }>(`SELECT partition, checkpoint FROM ${checkpoints} ORDER BY partition`);
    return new Map(rows.map((r) => [r.partition, JSON.parse(r.checkpoint) as PartitionCheckpoint]));
  }

  async seenIds(namespace: string, partition: number, since: number): Promise<SeenIds> {
    const { seen } = this.#tablesOf(namespace);
    const rows = await this.#db.all<{ id: string; t: bigint }>(`SELECT id, t FROM ${seen} WHERE partition = $1 AND t >= $2`, [toBigInt(partition, 'partition'), bound(since, 'up')]);
    return { ids: rows.map((r) => r.id), times: rows.map((r) => Number(r.t)) };
  }

  async partitionPanes(namespace: string, partition: number, minBucket: number, minStart?: number): Promise<StoredPane[]> {
    const { panes } = this.#tablesOf(namespace);
    const rows = await this.#db.all<PaneRow>(
      `SELECT ${PANE_COLUMNS} FROM ${panes} WHERE partition = $1 AND bucket >= $2 AND start >= $3 ORDER BY view, key, start, bucket`,
      [toBigInt(partition, 'partition'), bound(minBucket, 'up'), bound(minStart ?? Number.NEGATIVE_INFINITY, 'up')],
    );
    return rows.map(toPane);
  }

  /** One transaction, which nothing else on this connection interleaves with (DuckDb's queue): a commit is wholly in it or not. */
  async committedState(namespace: string, bounds: StateBounds): Promise<PartitionState[]> {
    const { panes, checkpoints, seen } = this.#tablesOf(namespace);
    return this.#db.transaction(async (tx) => {
      const rows = await tx.all<{ partition: number; checkpoint: string }>(`SELECT partition, checkpoint FROM ${checkpoints} ORDER BY partition`);
      const out: PartitionState[] = [];
      for (const r of rows) {
        const checkpoint = JSON.parse(r.checkpoint) as PartitionCheckpoint;
        const { minBucket, idsSince } = bounds(checkpoint);
        const partition = toBigInt(r.partition, 'partition');
        const paneRows = await tx.all<PaneRow>(`SELECT ${PANE_COLUMNS} FROM ${panes} WHERE partition = $1 AND bucket >= $2 ORDER BY view, key, start, bucket`, [partition, bound(minBucket, 'up')]);
        const ids = await tx.all<{ id: string; t: bigint }>(`SELECT id, t FROM ${seen} WHERE partition = $1 AND t >= $2`, [partition, bound(idsSince, 'up')]);
        out.push({ checkpoint, panes: paneRows.map(toPane), seen: { ids: ids.map((i) => i.id), times: ids.map((i) => Number(i.t)) } });
      }
      return out;
    });
  }

  async queryPanes(namespace: string, query: PaneQuery): Promise<StoredPane[]> {
    const { panes } = this.#tablesOf(namespace);
    // Integer columns against integer bounds: end > from ⇔ end > floor(from); start < to ⇔ start < ceil(to).
    const params: SqlValue[] = [query.view, bound(query.from, 'down'), bound(query.to, 'up')];
    let where = 'view = $1 AND "end" > $2 AND start < $3';
    if (query.minBucket !== undefined) {
      params.push(bound(query.minBucket, 'up'));
      where += ` AND bucket >= $${params.length}`;
    }
    if (query.minStart !== undefined) {
      params.push(bound(query.minStart, 'up'));
      where += ` AND start >= $${params.length}`;
    }
    const after = query.ordered?.after;
    if (after !== undefined) {
      params.push(after.key, after.key, bound(after.start, 'down'));
      where += ` AND (key > $${params.length - 2} OR (key = $${params.length - 1} AND start > $${params.length}))`;
    }
    if (query.key !== undefined) {
      // With the other filters, not through the key index alone: DuckDB fetches index hits row by
      // row (~100 ms for a key's 1,400 panes), while a scan pruned by the zone maps of bucket and
      // start reads the same rows in ~5 ms (decisions.md, "Batch views served from an index").
      params.push(query.key);
      where += ` AND key = $${params.length}`;
    }
    let limit = '';
    if (query.maxRows !== undefined) {
      params.push(rowLimit(query.maxRows));
      limit = ` LIMIT $${params.length}`;
    }
    const rows = await this.#db.all<PaneRow>(`SELECT ${PANE_COLUMNS} FROM ${panes} WHERE ${where} ORDER BY view, key, start, bucket, partition${limit}`, params);
    return rows.map(toPane);
  }

  async expireBefore(namespace: string, bucket: number): Promise<number> {
    const { panes } = this.#tablesOf(namespace);
    const rows = await this.#db.all<{ Count: bigint }>(`DELETE FROM ${panes} WHERE bucket < $1`, [bound(bucket, 'up')]);
    return Number(rows[0]?.Count ?? 0n);
  }

  async setAlias(alias: string, namespace: string): Promise<void> {
    assertViewNamespaceName(alias, 'alias');
    this.#tablesOf(namespace);
    if (this.#loading.has(namespace)) throw new UnfinishedLoadError(namespace);
    await this.#db.run('INSERT OR REPLACE INTO lk_aliases VALUES ($1, $2)', [alias, namespace]);
  }

  async getAlias(alias: string): Promise<string | undefined> {
    assertViewNamespaceName(alias, 'alias');
    const rows = await this.#db.all<{ namespace: string }>('SELECT namespace FROM lk_aliases WHERE alias = $1', [alias]);
    return rows[0]?.namespace;
  }

  async listNamespaces(): Promise<string[]> {
    return [...this.#namespaces].sort();
  }

  /** Drops the namespace's tables, and any alias pointing at it (it would point at nothing). Absent: no-op. */
  async dropNamespace(namespace: string): Promise<void> {
    assertViewNamespaceName(namespace);
    const { panes, checkpoints, seen } = tables(namespace);
    await this.#db.transaction(async (tx) => {
      await tx.run(`DROP TABLE IF EXISTS ${panes}`);
      await tx.run(`DROP TABLE IF EXISTS ${checkpoints}`);
      await tx.run(`DROP TABLE IF EXISTS ${seen}`);
      await tx.run('DELETE FROM lk_namespaces WHERE name = $1', [namespace]);
      await tx.run('DELETE FROM lk_aliases WHERE namespace = $1', [namespace]);
      await tx.run('DELETE FROM lk_loading WHERE name = $1', [namespace]);
    });
    this.#namespaces.delete(namespace);
    this.#loading.delete(namespace);
  }

  async close(): Promise<void> {
    await this.#committing;
    await this.#db.close();
    if (this.#file) openFiles.delete(this.#file);
  }

  /** The namespace's (quoted) table names; throws NotFoundError when it was never created. */
  #tablesOf(namespace: string): NamespaceTables {
    assertViewNamespaceName(namespace);
    if (!this.#namespaces.has(namespace)) {
      throw new NotFoundError(`view namespace "${namespace}" does not exist: it is created by the job that writes it (lk speed, lk replay) or by ensureNamespace`);
    }
    return tables(namespace);
  }
}

interface NamespaceTables {
  readonly panes: string;
  readonly checkpoints: string;
  readonly seen: string;
}

function tables(namespace: string): NamespaceTables {
  return { panes: quote(`panes_${namespace}`), checkpoints: quote(`checkpoints_${namespace}`), seen: quote(`seen_${namespace}`) };
}

function quote(identifier: string): string {
  return `"${identifier}"`;
}

function toPane(r: PaneRow): StoredPane {
  const pane: StoredPane = { view: r.view, key: r.key, start: Number(r.start), end: Number(r.end), bucket: Number(r.bucket), partition: r.partition, acc: r.acc };
  return r.states === null ? pane : { ...pane, states: r.states };
}

/**
 * An accumulator as DuckDB list text: String() gives the shortest round-trip form ('Infinity' for
 * the min/max identities included), which DuckDB's cast parses back to the same doubles.
 */
/** A pane as a row of lk_stage_upserts. */
function paneRow(p: Pane, partition: bigint): SqlValue[] {
  return [p.view, p.key, toBigInt(p.start, 'start'), toBigInt(p.end, 'end'), toBigInt(p.bucket, 'bucket'), partition, accText(p.acc), p.states ?? null];
}

function accText(acc: readonly number[]): string {
  for (const v of acc) if (typeof v !== 'number') throw new LkError(`accumulator value ${String(v)} is not a number`);
  return `[${acc.join(',')}]`;
}

function toBigInt(n: number, what: string): bigint {
  if (!Number.isSafeInteger(n)) throw new LkError(`${what} ${n} is not a whole number of milliseconds (or a partition number)`);
  return BigInt(n);
}

/** A query bound as BIGINT, rounded the way that keeps the comparison exact; infinities clamp to the BIGINT range. */
function bound(n: number, round: 'up' | 'down'): bigint {
  if (Number.isNaN(n)) throw new LkError('a query bound is NaN: give epoch milliseconds');
  if (n === Number.POSITIVE_INFINITY || n > Number.MAX_SAFE_INTEGER) return 2n ** 62n;
  if (n === Number.NEGATIVE_INFINITY || n < Number.MIN_SAFE_INTEGER) return -(2n ** 62n);
  return BigInt(round === 'up' ? Math.ceil(n) : Math.floor(n));
}
