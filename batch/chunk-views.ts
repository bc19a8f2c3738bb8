import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sqlString, type DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { CompiledView, Pipeline } from '../shared/compute/pipeline.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { BatchChunk } from './batch-chunks.ts';
import type { PublishedBucket } from './batch-manifest.ts';
import { BUCKET_EVENTS_TABLE, loadBucketEvents } from './bucket-events.ts';
import { dropWindowMap, fixedWindowPanesSql } from './fixed-window-panes.ts';
import { sourceDigest, type MasterObject } from './master-buckets.ts';
import { paneFileKey } from './pane-file.ts';
import { sessionWindowPanesSql } from './session-window-panes.ts';

export interface ChunkViewsDeps {
  readonly objects: ObjectStore;
  readonly db: DuckDb;
  readonly pipeline: Pipeline;
  readonly workDir: string;
}

/**
 * Computes every view of a chunk of buckets from their master files and stores the pane files
 * under the run: per view one DuckDB statement over the whole chunk, its output partitioned by
 * bucket. Returns the buckets' manifest entries; nothing is visible until a manifest names them.
 * A bucket without master files gets an entry without files: it still moves the horizon past a
 * quiet hour.
 */
export async function computeChunkViews(deps: ChunkViewsDeps, runId: string, chunk: BatchChunk, sources: ReadonlyMap<number, readonly MasterObject[]>): Promise<PublishedBucket[]> {
  const { objects, db, pipeline } = deps;
  const bucketMs = pipeline.config.bucketMs;
  const withData = chunk.buckets.filter((b) => (sources.get(b)?.length ?? 0) > 0);
  const files = new Map<number, Record<string, string[]>>(chunk.buckets.map((b) => [b, {}]));
  let counts = new Map<number, { rows: number; events: number }>();
  if (withData.length > 0) {
    const local = await Promise.all(chunk.files.map((f) => objects.localPath(f.key)));
    try {
      counts = await loadBucketEvents(db, local, withData, bucketMs);
      for (const view of pipeline.views) {
        const keys = await writeViewPanes(deps, runId, view, withData);
        for (const b of withData) files.get(b)![view.name] = keys.get(b) ?? [];
      }
    } finally {
      await db.run(`DROP TABLE IF EXISTS ${BUCKET_EVENTS_TABLE}`);
      await dropWindowMap(db);
    }
  }
  return chunk.buckets.map((bucket) => {
    const src = sources.get(bucket) ?? [];
    const c = counts.get(bucket) ?? { rows: 0, events: 0 };
    return { bucket, runId, rows: c.rows, events: c.events, source: { files: src.length, digest: sourceDigest(src) }, files: files.get(bucket)! };
  });
}

/** Writes one view's panes of the loaded buckets and uploads them; returns the keys per bucket. */
async function writeViewPanes(deps: ChunkViewsDeps, runId: string, view: CompiledView, buckets: readonly number[]): Promise<Map<number, string[]>> {
  const { objects, db, pipeline, workDir } = deps;
  const w = view.def.window;
  const select = w.kind === 'session' ? sessionWindowPanesSql(view, w) : await fixedWindowPanesSql(db, view, w, buckets, pipeline.config.bucketMs);
  const outDir = join(workDir, `${runId}-${view.name}`);
  await rm(outDir, { recursive: true, force: true });
  const keys = new Map<number, string[]>();
  try {
    await db.run(`COPY (${select}) TO ${sqlString(outDir)} (FORMAT parquet, PARTITION_BY (bucket), WRITE_PARTITION_COLUMNS true)`);
    for (const bucket of buckets) {
      // DuckDB names partitions `bucket=<value>` and writes data_0.parquet, data_1.parquet, ... into them.
      const dir = join(outDir, `bucket=${bucket}`);
      const parts = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.parquet')).sort();
      const list: string[] = [];
      for (const [i, part] of parts.entries()) {
        const key = paneFileKey(runId, view.name, bucket, i);
        await objects.putFile(key, join(dir, part));
        list.push(key);
      }
      keys.set(bucket, list);
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return keys;
}
