import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { sqlString, type DuckDb, type SqlValue } from '../infra/duckdb/duckdb-database.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { EventSchema } from '../shared/model/event-schema.ts';
import { masterColumnsSql, masterFileKey } from './master-dataset.ts';

/** Rows of one log partition that fall in one event-time hour, with the offsets they span. */
export interface MasterFileRows {
  readonly partition: number;
  readonly hour: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** In MASTER_COLUMNS order (see masterRow), in offset order. */
  readonly rows: readonly SqlValue[][];
}

const STAGING_TABLE = 'master_staging';

/**
 * Writes master files: rows enter DuckDB through the appender, DuckDB writes the Parquet file
 * locally and the object store uploads it. One file at a time: the staging table is shared.
 */
export class MasterFileWriter {
  readonly #objects: ObjectStore;
  readonly #db: DuckDb;
  readonly #workDir: string;
  readonly #columnsSql: string;
  #queue: Promise<unknown> = Promise.resolve();

  /** `schema`: the event schema the master columns come from. */
  constructor(deps: { objects: ObjectStore; db: DuckDb; workDir: string; schema: EventSchema }) {
    this.#objects = deps.objects;
    this.#db = deps.db;
    this.#workDir = deps.workDir;
    this.#columnsSql = masterColumnsSql(deps.schema);
  }

  /** Writes one master file and returns its key; the object is complete when this resolves. */
  write(file: MasterFileRows): Promise<string> {
    const next = this.#queue.then(() => this.#write(file));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #write(f: MasterFileRows): Promise<string> {
    const key = masterFileKey(f.hour, f.partition, f.firstOffset, f.lastOffset);
    const local = join(this.#workDir, `master-p${f.partition}-${f.firstOffset}-${f.lastOffset}-${f.hour}.parquet`);
    const db = this.#db;
    await db.run(`CREATE OR REPLACE TEMP TABLE ${STAGING_TABLE} (${this.#columnsSql})`);
    try {
      await db.append(STAGING_TABLE, f.rows);
      await db.run(`COPY ${STAGING_TABLE} TO ${sqlString(local)} (FORMAT parquet)`);
      await this.#objects.putFile(key, local);
    } finally {
      await db.run(`DROP TABLE IF EXISTS ${STAGING_TABLE}`);
      await unlink(local).catch(() => undefined);
    }
    return key;
  }
}
