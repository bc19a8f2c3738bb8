import type { DuckDb, SqlValue } from '../infra/duckdb/duckdb-database.ts';
import type { Pane } from '../shared/compute/pane.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { NotFoundError, ObjectNotFoundError } from '../shared/errors.ts';
import { rowLimit, type PanePosition } from '../shared/ports/view-store.ts';
import { reachOf } from '../shared/time/window.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { BatchSnapshot } from '../serving/batch-pane-source.ts';
import { lastRejection, readManifest, type BatchManifest, type PublishedBucket } from './batch-manifest.ts';
import { sameSignature, viewSignatures, type ViewSignature } from '../shared/compute/view-signature.ts';
import { accumulatorSql } from './pane-file.ts';
import { parquetSource } from './parquet-source.ts';

/** Which batch panes to read: one view, optionally one key, windows overlapping [from, to). */
export interface BatchPanesQuery {
  readonly view: string;
  readonly key?: string;
  readonly from: number;
  readonly to: number;
  /** Only buckets below this (exclusive), e.g. the horizon serving merges at. */
  readonly maxBucket?: number;
  /** Only panes whose (key, start) comes after this (results are always sorted). */
  readonly ordered?: { readonly after?: PanePosition };
  /** At most this many panes (the first by key, start, bucket). */
  readonly maxRows?: number;
}

export interface BatchViewReaderDeps {
  readonly objects: ObjectStore;
  readonly db: DuckDb;
  /** When given, panes() refuses views the published batch computed with another definition. */
  readonly pipeline?: Pipeline;
}

interface PaneRow {
  key: string;
  start: bigint;
  end: bigint;
  bucket: bigint;
  acc: number[];
}

/**
 * Reads the published batch views for the serving layer: only files the manifest names, so a
 * reader never sees a batch half published. Pane files are read by DuckDB with the query's
 * filters; buckets that cannot hold an overlapping window are not opened at all.
 */
export class BatchViewReader {
  readonly #objects: ObjectStore;
  readonly #db: DuckDb;
  readonly #signatures: Record<string, ViewSignature> | undefined;

  constructor(deps: BatchViewReaderDeps) {
    this.#objects = deps.objects;
    this.#db = deps.db;
    this.#signatures = deps.pipeline ? viewSignatures(deps.pipeline) : undefined;
  }

  /** The published manifest; undefined before the first publish. */
  manifest(): Promise<BatchManifest | undefined> {
    return readManifest(this.#objects);
  }

  /** The published batch horizon (exclusive bucket bound), or null before the first publish. */
  async horizon(): Promise<number | null> {
    return (await this.manifest())?.horizon ?? null;
  }

  /** The published batch as one snapshot: the manifest is read once, every panes() call reads the files it names. */
  async snapshot(): Promise<BatchSnapshot> {
    const m = await this.manifest();
    return { runId: m?.runId ?? null, horizon: m?.horizon ?? null, gateFailures: lastRejection(m), panes: async (q) => (m ? this.#read(m, q) : []) };
  }

  /**
   * Whether this pipeline may serve a view of the manifest: undefined when it may, else the
   * NotFoundError a query of it gets (not published, or published with another definition).
   */
  viewProblem(m: BatchManifest, view: string): NotFoundError | undefined {
    const signature = m.views[view];
    if (!signature) {
      return new NotFoundError(`view "${view}" is not in the published batch (it has ${Object.keys(m.views).join(', ')}): run the batch job with a pipeline that defines it`);
    }
    if (this.#signatures && !sameSignature(signature, this.#signatures[view])) {
      return new NotFoundError(`the published batch computed view "${view}" with another definition than this pipeline's: run the batch job to recompute it`);
    }
    return undefined;
  }

  /** Every pane of one view in the given buckets of a manifest (one read of their files), in no particular order. */
  async bucketPanes(m: BatchManifest, view: string, buckets: readonly PublishedBucket[]): Promise<Pane[]> {
    const problem = this.viewProblem(m, view);
    if (problem) throw problem;
    const keys = buckets.flatMap((b) => b.files[view] ?? []);
    if (keys.length === 0) return [];
    const files = await Promise.all(keys.map((k) => this.#objects.localPath(k)));
    const rows = await this.#db.all<PaneRow & Record<string, unknown>>(
      `SELECT key, start, "end", bucket, ${accumulatorSql(view, m.views[view].measures)} AS acc FROM ${parquetSource(files)}`,
    );
    return rows.map((r) => ({ view, key: r.key, start: Number(r.start), end: Number(r.end), bucket: Number(r.bucket), acc: r.acc }));
  }

  /**
   * Panes of the published batch matching the query, sorted by key, start, bucket. Pass the
   * manifest the caller already read to get panes and horizon from one publish; without it the
   * current manifest is read (and read again once if a publish deleted a file meanwhile).
   */
  async panes(query: BatchPanesQuery, manifest?: BatchManifest): Promise<Pane[]> {
    for (let attempt = 0; ; attempt++) {
      const m = manifest ?? (await this.manifest());
      if (!m) return [];
      try {
        return await this.#read(m, query);
      } catch (err) {
        if (manifest !== undefined || attempt > 0 || !(err instanceof ObjectNotFoundError)) throw err;
      }
    }
  }

  async #read(m: BatchManifest, q: BatchPanesQuery): Promise<Pane[]> {
    const problem = this.viewProblem(m, q.view);
    if (problem) throw problem;
    const signature = m.views[q.view];
    const w = signature.window;
    const reach = reachOf(w);
    const keys: string[] = [];
    for (const b of m.buckets) {
      if (q.maxBucket !== undefined && b.bucket >= q.maxBucket) continue;
      if (b.bucket + m.bucketMs + reach <= q.from || b.bucket - reach >= q.to) continue;
      keys.push(...(b.files[q.view] ?? []));
    }
    if (keys.length === 0) return [];
    const files = await Promise.all(keys.map((k) => this.#objects.localPath(k)));
    const params: SqlValue[] = [q.from, q.to];
    if (q.key !== undefined) params.push(q.key);
    const after = q.ordered?.after;
    if (after !== undefined) params.push(after.key, after.key, after.start);
    const rows = await this.#db.all<PaneRow & Record<string, unknown>>(
      `SELECT key, start, "end", bucket, ${accumulatorSql(q.view, signature.measures)} AS acc
       FROM ${parquetSource(files)}
       WHERE "end" > ? AND start < ?${q.key !== undefined ? ' AND key = ?' : ''}${after !== undefined ? ' AND (key > ? OR (key = ? AND start > ?))' : ''}
       ORDER BY key, start, bucket${q.maxRows !== undefined ? ` LIMIT ${rowLimit(q.maxRows)}` : ''}`,
      params,
    );
    return rows.map((r) => ({ view: q.view, key: r.key, start: Number(r.start), end: Number(r.end), bucket: Number(r.bucket), acc: r.acc }));
  }
}

