import { quoteIdent } from './sql-identifier.ts';

const COLUMNS = 'view, key, start, "end", bucket, partition, acc, states';
const KEY_COLUMNS = 'view, key, start, bucket, partition';

/**
 * The SQL of one namespace's panes table (`<schema>.panes_<namespace>`). A table per namespace
 * keeps Kappa versions apart: dropping an old version is a DROP TABLE, and the speed layer's
 * constant expiry does not bloat the replayed versions. Names are validated before they get here.
 *
 * Bulk statements take whole columns as arrays and `unnest` them, so a batch of thousands of
 * rows is one statement with six parameters. Accumulators travel as array literals in a text[]
 * (`{1,2,Infinity}`): unnest would flatten a 2-D float8[], and JSON cannot carry the infinities
 * that are the identities of min and max. The object measures' states (count_distinct,
 * count_distinct_hll, top_k) are their JSON text in `states` (text, NULL for a view without them;
 * docs/decisions.md): one more column rather than a wider acc, so the fixed-width path is as before.
 */
export class PaneTable {
  readonly name: string;
  readonly #index: (suffix: string) => string;
  /** An index of the table, schema-qualified (for DROP INDEX). */
  readonly #indexQualified: (suffix: string) => string;

  constructor(schema: string, namespace: string) {
    this.name = `${quoteIdent(schema)}.${quoteIdent(`panes_${namespace}`)}`;
    this.#index = (suffix) => quoteIdent(`panes_${namespace}_${suffix}`);
    this.#indexQualified = (suffix) => `${quoteIdent(schema)}.${this.#index(suffix)}`;
  }

  /** Idempotent DDL. fillfactor leaves room on each page for HOT updates: panes are upserted over and over while open. */
  createSql(): string[] {
    return [
      this.#createTableSql(`,
        PRIMARY KEY (${KEY_COLUMNS})`),
      // Serving reads through the primary key with a start bound (PaneQuery.minStart). Tables of
      // earlier versions had an index on (view, key, "end") for it: one more index to maintain
      // on every insert, and a second way for the planner to find a pane (see deleteSql).
      `DROP INDEX IF EXISTS ${this.#indexQualified('serving')}`,
      // Tables made before object measure states existed lack the column (NULL: no such measure).
      `ALTER TABLE ${this.name} ADD COLUMN IF NOT EXISTS states text`,
      this.#restoreIndexSql(),
      // Earlier versions' restore index was (partition, bucket): the new one serves its reads too.
      `DROP INDEX IF EXISTS ${this.#indexQualified('restore')}`,
    ];
  }

  /**
   * The table of a bulk load, without the primary key and the restore index: appends (appendSql)
   * then cost no index maintenance, no conflict check and no update, and `indexSql` builds both
   * once, by sorting (500k panes: ~0.65 s to insert, ~0.65 s to index, against ~12 µs per upsert).
   */
  createUnindexedSql(): string {
    return this.#createTableSql('');
  }

  /** Builds the indexes `createSql` declares on a table made by `createUnindexedSql`; fails if a pane was appended twice. */
  indexSql(): string[] {
    return [`ALTER TABLE ${this.name} ADD PRIMARY KEY (${KEY_COLUMNS})`, this.#restoreIndexSql()];
  }

  #createTableSql(constraints: string): string {
    // COLLATE "C": keys are compared byte by byte (memcmp) instead of through the database's
    // locale (strcoll); ids only need equality and a stable order, and upserts measured 8% cheaper.
    return `CREATE TABLE IF NOT EXISTS ${this.name} (
        view text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        start bigint NOT NULL,
        "end" bigint NOT NULL,
        bucket bigint NOT NULL,
        partition int NOT NULL,
        acc double precision[] NOT NULL,
        states text${constraints}
      ) WITH (fillfactor = 90)`;
  }

  /**
   * Restoring a partition after a restart or rebalance reads its panes from a bucket on; serving's
   * speed mirror reads those of windows still open, from a start on, checked in the index (so
   * ~3k open panes of a partition cost ~5 ms, not a heap visit of each of the bucket's 60k).
   * `start` never changes, so upserts stay HOT updates.
   */
  #restoreIndexSql(): string {
    return `CREATE INDEX IF NOT EXISTS ${this.#index('restore_start')} ON ${this.name} (partition, bucket, start)`;
  }

  dropSql(): string {
    return `DROP TABLE IF EXISTS ${this.name}`;
  }

  /** $1 partition, then columns view text[], key text[], start int8[], "end" int8[], bucket int8[], acc text[], states text[] (or NULL: none). */
  upsertSql(): string {
    return `${this.appendSql()}
      ON CONFLICT (${KEY_COLUMNS}) DO UPDATE SET "end" = EXCLUDED."end", acc = EXCLUDED.acc, states = EXCLUDED.states`;
  }

  /** upsertSql's parameters, as a plain INSERT (a bulk load's final panes: nothing to conflict with). */
  appendSql(): string {
    return `INSERT INTO ${this.name} (${COLUMNS})
      SELECT u.view, u.key, u.start, u."end", u.bucket, $1, u.acc::double precision[], u.states
      FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[], $6::int8[], $7::text[], $8::text[]) AS u(view, key, start, "end", bucket, acc, states)`;
  }

  /**
   * $1 partition, then columns view text[], key text[], start int8[], bucket int8[].
   *
   * `t.partition + 0`: keeps the planner off the restore index (partition, bucket). On a young
   * panes table without statistics it judged `partition = $1 AND bucket = d.bucket` selective and
   * looked each id up by scanning its whole bucket (100-800 ms per commit in the freshness
   * benchmark, until autovacuum analyzed the table a minute later). Without a usable restore index
   * the primary key (view, key, start, bucket, partition) finds each id, whatever the statistics.
   */
  deleteSql(): string {
    return `DELETE FROM ${this.name} AS t
      USING unnest($2::text[], $3::text[], $4::int8[], $5::int8[]) AS d(view, key, start, bucket)
      WHERE t.view = d.view AND t.key = d.key AND t.start = d.start AND t.bucket = d.bucket AND t.partition + 0 = $1`;
  }

  /** $1 partition, $2 min bucket, then $3 min start when `fromStart`. */
  partitionSql(fromStart = false): string {
    return `SELECT ${COLUMNS} FROM ${this.name} WHERE partition = $1 AND bucket >= $2${fromStart ? ' AND start >= $3' : ''}`;
  }

  /**
   * $1 view, $2 from, $3 to, $4 min bucket, $5 min start, then the key when `byKey`, the key and
   * start to read after when `after`, and the row limit when `limited`. `ordered` returns rows in
   * primary-key order, which the index gives without a sort.
   */
  querySql(byKey: boolean, limited = false, ordered = false, after = false): string {
    let n = 5;
    const key = byKey ? ` AND key = $${++n}` : '';
    const from = after ? ` AND (key, start) > ($${++n}, $${++n})` : '';
    const order = ordered ? ' ORDER BY key, start, bucket, partition' : '';
    const limit = limited ? ` LIMIT $${++n}` : '';
    return `SELECT ${COLUMNS} FROM ${this.name}
      WHERE view = $1 AND "end" > $2 AND start < $3 AND bucket >= $4 AND start >= $5${key}${from}${order}${limit}`;
  }

  /** $1 bucket. */
  expireSql(): string {
    return `DELETE FROM ${this.name} WHERE bucket < $1`;
  }
}
