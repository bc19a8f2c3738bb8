import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

/**
 * The only file that imports @duckdb/node-api. DuckDB is the platform's Parquet and SQL engine
 * (batch job, archiver, ground truth) and the embedded view store; all of them go through this
 * small wrapper in the project's own types.
 */
export type SqlValue = string | number | bigint | boolean | null | number[] | string[];
export type Row = Record<string, unknown>;

export class DuckDb {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  /** False for a connection from `connect()`: closing it leaves the database open. */
  readonly #ownsInstance: boolean;
  /** DuckDB connections run one statement at a time; queue them so callers need not care. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, ownsInstance: boolean) {
    this.#instance = instance;
    this.#conn = conn;
    this.#ownsInstance = ownsInstance;
  }

  /** Opens a database file, or an in-memory database for ':memory:'. */
  static async open(path = ':memory:', options: { threads?: number; memoryLimit?: string } = {}): Promise<DuckDb> {
    const config: Record<string, string> = {};
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    const instance = await DuckDBInstance.create(path, config);
    return new DuckDb(instance, await instance.connect(), true);
  }

  /**
   * Another connection to the same database, with its own statement queue: statements on two
   * connections run at the same time. Temp tables are per connection. Closing it leaves the
   * database open.
   */
  async connect(): Promise<DuckDb> {
    return new DuckDb(this.#instance, await this.#instance.connect(), false);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Runs a statement (or several separated by ';' when there are no params). */
  run(sql: string, params?: readonly SqlValue[]): Promise<void> {
    return this.#serial(async () => {
      await this.#conn.run(sql, params ? (params as DuckDBValue[]) : undefined);
    });
  }

  /** Runs a query and returns its rows as plain JS objects (BIGINT as bigint, lists as arrays). */
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#serial(async () => {
      const reader = await this.#conn.runAndReadAll(sql, params ? (params as DuckDBValue[]) : undefined);
      return reader.getRowObjectsJS() as T[];
    });
  }

  /**
   * Appends rows to an existing table, column values in table order. Much faster than INSERTs:
   * the way JS data enters DuckDB in bulk.
   */
  append(table: string, rows: Iterable<readonly SqlValue[]>): Promise<number> {
    return this.#serial(async () => {
      const appender = await this.#conn.createAppender(table);
      let n = 0;
      try {
        for (const row of rows) {
          for (const v of row) appendValue(appender, v);
          appender.endRow();
          n++;
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      return n;
    });
  }

  /** Runs fn inside BEGIN/COMMIT (ROLLBACK on throw). fn must use `tx`, not this object, for its statements. */
  transaction<T>(fn: (tx: { run: (sql: string, params?: readonly SqlValue[]) => Promise<void>; all: <R extends Row = Row>(sql: string, params?: readonly SqlValue[]) => Promise<R[]> }) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      const conn = this.#conn;
      const tx = {
        run: async (sql: string, params?: readonly SqlValue[]) => {
          await conn.run(sql, params ? (params as DuckDBValue[]) : undefined);
        },
        all: async <R extends Row = Row>(sql: string, params?: readonly SqlValue[]) => {
          const r = await conn.runAndReadAll(sql, params ? (params as DuckDBValue[]) : undefined);
          return r.getRowObjectsJS() as R[];
        },
      };
      await conn.run('BEGIN TRANSACTION');
      try {
        const out = await fn(tx);
        await conn.run('COMMIT');
        return out;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#conn.closeSync();
    if (this.#ownsInstance) this.#instance.closeSync?.();
  }
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function appendValue(a: Appender, v: SqlValue): void {
  if (v === null) a.appendNull();
  else if (typeof v === 'string') a.appendVarchar(v);
  else if (typeof v === 'bigint') a.appendBigInt(v);
  else if (typeof v === 'boolean') a.appendBoolean(v);
  else if (typeof v === 'number') a.appendDouble(v);
  else throw new Error('DuckDb.append: list values are not supported; insert them with SQL');
}

/** Quotes a string as a SQL literal (for paths in read_parquet/COPY, which cannot be parameters). */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
