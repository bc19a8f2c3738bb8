import { mkdir } from 'node:fs/promises';
import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { readManifest, type PublishedBucket } from './batch-manifest.ts';
import { nextManifest, publishManifest, pruneRuns } from './batch-publisher.ts';
import { DEFAULT_CHUNK_LIMITS, planChunks, type ChunkLimits } from './batch-chunks.ts';
import { planBuckets, type BucketSelection } from './bucket-selection.ts';
import { computeChunkViews } from './chunk-views.ts';
import { masterFilesByBucket } from './master-buckets.ts';
import { onParallelConnections } from './parallel-connections.ts';
import { assertRunId, newRunId } from './run-id.ts';

export interface BatchDeps {
  readonly objects: ObjectStore;
  /** The job opens its own connections on it and sets its thread count while it runs. */
  readonly db: DuckDb;
  readonly pipeline: Pipeline;
  /** Local directory for pane files on their way to the object store. */
  readonly workDir: string;
  readonly onProgress?: (p: BatchProgress) => void;
  readonly clock?: () => number;
}

export interface BatchOptions {
  /** Default 'all'. */
  readonly buckets?: BucketSelection;
  readonly runId?: string;
  /** Published runs kept readable besides those the current and previous manifests name. Default 2. */
  readonly keepRuns?: number;
  /** How many buckets one set of DuckDB statements computes; chunks run in parallel, one per thread. */
  readonly chunkLimits?: ChunkLimits;
}

export interface BatchProgress {
  readonly runId: string;
  readonly bucketsDone: number;
  readonly bucketsTotal: number;
  /** The last bucket computed. */
  readonly bucket: number;
  /** Master rows read so far (duplicates included) and distinct events. */
  readonly rows: number;
  readonly events: number;
  readonly elapsedMs: number;
  readonly rowsPerSecond: number;
}

export interface BatchResult extends Omit<BatchProgress, 'bucket'> {
  /** Buckets computed, sorted: those with master data (empty ones are covered, not computed). */
  readonly buckets: readonly number[];
  /** False when the selection covered nothing: nothing was written. */
  readonly published: boolean;
  readonly horizon: number | null;
  readonly deletedRuns: readonly string[];
}

/**
 * The batch job: recomputes the selected buckets of every view from the master dataset and
 * publishes them. Chunk by chunk of buckets (one chunk per DuckDB thread at a time, each on its own
 * connection), DuckDB dedups the events, computes each view's panes (fixed windows through a window
 * map built by `forEachWindowStart`, sessions over slot fragments by the session rule's SQL twins,
 * measures by `measureSql` and `combineSql`) and writes Parquet files per view and bucket; no
 * JavaScript runs per event or per pane. The manifest naming the new files is written last (atomic
 * publish), then runs no reader can need are deleted.
 */
export async function runBatch(deps: BatchDeps, options: BatchOptions = {}): Promise<BatchResult> {
  const { objects, pipeline } = deps;
  const clock = deps.clock ?? Date.now;
  const runId = options.runId ?? newRunId(clock());
  assertRunId(runId);
  await mkdir(deps.workDir, { recursive: true });
  const started = performance.now();

  const sources = await masterFilesByBucket(objects, pipeline.config.bucketMs);
  // Only buckets with master data are computed; the empty ones in between are covered for free.
  const plan = planBuckets(options.buckets ?? 'all', [...sources.keys()], pipeline.config.bucketMs);
  const buckets = plan.compute;
  let bucketsDone = 0;
  let rows = 0;
  let events = 0;
  const status = () => {
    const elapsedMs = performance.now() - started;
    return { runId, bucketsDone, bucketsTotal: buckets.length, rows, events, elapsedMs, rowsPerSecond: elapsedMs > 0 ? (rows * 1000) / elapsedMs : 0 };
  };
  const chunks = planChunks(buckets, sources, options.chunkLimits ?? DEFAULT_CHUNK_LIMITS);
  const perChunk = await onParallelConnections(
    deps.db,
    chunks,
    (db, chunk) => computeChunkViews({ ...deps, db }, runId, chunk, sources),
    (entries, chunk) => {
      for (const entry of entries) {
        bucketsDone++;
        rows += entry.rows;
        events += entry.events;
      }
      deps.onProgress?.({ ...status(), bucket: chunk.buckets[chunk.buckets.length - 1] });
    },
  );
  const computed: PublishedBucket[] = perChunk.flat();

  // Read the manifest as late as possible: what this run publishes goes on top of the newest one.
  const previous = await readManifest(objects);
  if (plan.cover.length === 0) return { ...status(), buckets, published: false, horizon: previous?.horizon ?? null, deletedRuns: [] };
  const manifest = nextManifest({ previous, pipeline, runId, computed, cover: plan.cover, withData: new Set(sources.keys()), now: clock() });
  await publishManifest(objects, manifest);
  const deletedRuns = await pruneRuns(objects, manifest, previous, options.keepRuns ?? 2);
  return { ...status(), buckets, published: true, horizon: manifest.horizon, deletedRuns };
}
