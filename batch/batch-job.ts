import { mkdir } from 'node:fs/promises';
import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { DEFAULT_STRAGGLER_DELAY_MS } from '../shared/config.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { bucketOf } from '../shared/time/bucket.ts';
import { archivedCounts, completeBefore, hoursWithValidRecords, readArchiveProgress } from './archive-progress.ts';
import { readManifest, type PublishedBucket } from './batch-manifest.ts';
import { nextManifest, publishManifest, pruneRuns } from './batch-publisher.ts';
import { DEFAULT_CHUNK_LIMITS, planChunks, type ChunkLimits } from './batch-chunks.ts';
import { clipRanges, isCovered } from './bucket-coverage.ts';
import { planBuckets, type BucketSelection } from './bucket-selection.ts';
import { computeChunkViews } from './chunk-views.ts';
import { masterFilesByBucket } from './master-buckets.ts';
import { onParallelConnections } from './parallel-connections.ts';
import { qualityGate, type HourFacts, type QualityCheck, type QualityFailure } from './quality-gate.ts';
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
  /** A bucket is complete once the archived log's watermark is at or past its end plus this (default 5 min). */
  readonly stragglerDelayMs?: number;
  /**
   * Also compute the selected buckets that are not complete yet. They are published marked
   * incomplete, above the horizon (never final); the default leaves them out.
   */
  readonly includeIncomplete?: boolean;
  /**
   * Publish without the quality gate (quality-gate.ts): for an operator who has looked at the
   * rejected hours and accepts the data. Default false: hours that fail a check are not published.
   */
  readonly skipQuality?: boolean;
  /** Checks whose failures do not reject an hour (they are still computed): a narrower skipQuality. */
  readonly acceptChecks?: readonly QualityCheck[];
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
  /** False when the selection covered nothing (nothing was written), or the quality gate rejected every hour computed (the manifest only gained the rejections). */
  readonly published: boolean;
  /** Selected buckets that were not complete: left out, or (includeIncomplete) published as incomplete. */
  readonly incomplete: readonly number[];
  /** Buckets ending at or before this were complete (the archived watermark minus the straggler delay). */
  readonly completeBefore: number;
  readonly horizon: number | null;
  readonly deletedRuns: readonly string[];
  /** The quality gate's verdict: its failures (empty when it passed or was skipped) and the hours they kept from being published. */
  readonly quality: { readonly skipped: boolean; readonly failures: readonly QualityFailure[]; readonly rejected: readonly number[] };
}

/**
 * The batch job: recomputes the selected buckets of every view from the master dataset and
 * publishes them. Chunk by chunk of buckets (one chunk per DuckDB thread at a time, each on its own
 * connection), DuckDB dedups the events, computes each view's panes (fixed windows through a window
 * map built by `forEachWindowStart`, sessions over slot fragments by the session rule's SQL twins,
 * measures by `measureSql` and `combineSql`) and writes Parquet files per view and bucket; no
 * JavaScript runs per event or per pane. The manifest naming the new files is written last (atomic
 * publish), then runs no reader can need are deleted.
 *
 * Only complete buckets are computed, however the job is run: a bucket is complete once the
 * log's watermark over the archived records (archive-progress.ts) is at or past its end plus the
 * straggler delay. With `includeIncomplete` the others are published too, marked incomplete, so
 * the horizon stops before them and nothing in them is served as final.
 *
 * Before publishing, the quality gate reads every stored pane file back and judges each hour
 * (quality-gate.ts); an hour that fails a check is left out, so its previous version keeps
 * serving, and the failures go into the manifest's `rejected` list and `quality` of the result.
 */
export async function runBatch(deps: BatchDeps, options: BatchOptions = {}): Promise<BatchResult> {
  const { objects, pipeline } = deps;
  const clock = deps.clock ?? Date.now;
  const runId = options.runId ?? newRunId(clock());
  assertRunId(runId);
  await mkdir(deps.workDir, { recursive: true });
  const started = performance.now();

  const bucketMs = pipeline.config.bucketMs;
  // Progress before the listing: every file the progress counts is listed (files are stored before it), so an archive running meanwhile cannot make the gate's counts exceed what is read.
  const progress = await readArchiveProgress(objects);
  const sources = await masterFilesByBucket(objects, bucketMs);
  const gate = options.skipQuality ? undefined : { published: await readManifest(objects) };
  // Only buckets with master data are computed; the empty ones in between are covered for free.
  const plan = planBuckets(options.buckets ?? 'all', [...sources.keys()], bucketMs);
  const complete = completeBefore(progress, pipeline.config.lateness, options.stragglerDelayMs ?? DEFAULT_STRAGGLER_DELAY_MS);
  const incomplete = plan.compute.filter((b) => b + bucketMs > complete);
  const buckets = options.includeIncomplete ? plan.compute : plan.compute.filter((b) => b + bucketMs <= complete);
  // The coverage holds complete buckets only; incomplete ones (includeIncomplete) are entries above it.
  const cover = clipRanges(plan.cover, Number.isFinite(complete) ? bucketOf(complete, bucketMs) : complete);
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
    (db, chunk) => computeChunkViews({ ...deps, db, gate }, runId, chunk, sources),
    ({ entries }, chunk) => {
      for (const entry of entries) {
        bucketsDone++;
        rows += entry.rows;
        events += entry.events;
      }
      deps.onProgress?.({ ...status(), bucket: chunk.buckets[chunk.buckets.length - 1] });
    },
  );
  const computed: PublishedBucket[] = perChunk.flatMap((c) => c.entries).map((b) => (b.bucket + bucketMs > complete ? { ...b, incomplete: true as const } : b));
  const factsOf = (bucket: number, rows: number, events: number): HourFacts => {
    const archived = archivedCounts(progress, bucket, bucketMs);
    return { bucket, rows, events, archivedValid: archived?.valid ?? null, deadLettered: archived?.invalid ?? null };
  };
  // A covered bucket without master files that the archiver stored records in lost them all: judged as an hour of no rows.
  const emptied = [...new Set(hoursWithValidRecords(progress).map((h) => bucketOf(h, bucketMs)))].filter((b) => !sources.has(b) && isCovered(cover, b));
  const hours = [...computed.filter((b) => b.source.files > 0).map((b) => factsOf(b.bucket, b.rows, b.events)), ...emptied.map((b) => factsOf(b, 0, 0))];
  const accepted = new Set(options.acceptChecks ?? []);
  const failures = gate ? qualityGate(pipeline.views, { bucketMs, hours, views: perChunk.flatMap((c) => c.facts) }).filter((f) => !accepted.has(f.check)) : [];
  const quality = { skipped: gate === undefined, failures, rejected: [...new Set(failures.map((f) => f.bucket))].sort((a, b) => a - b) };

  // Read the manifest as late as possible: what this run publishes goes on top of the newest one.
  const previous = await readManifest(objects);
  if (cover.length === 0 && computed.length === 0) return { ...status(), buckets, published: false, incomplete, completeBefore: complete, horizon: previous?.horizon ?? null, deletedRuns: [], quality };
  const manifest = nextManifest({ previous, pipeline, runId, computed, cover, withData: new Set(sources.keys()), now: clock(), rejected: failures });
  await publishManifest(objects, manifest);
  const deletedRuns = await pruneRuns(objects, manifest, previous, options.keepRuns ?? 2);
  return { ...status(), buckets, published: manifest.runId === runId, incomplete, completeBefore: complete, horizon: manifest.horizon, deletedRuns, quality };
}
