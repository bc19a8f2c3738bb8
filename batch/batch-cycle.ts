import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import { DEFAULT_STRAGGLER_DELAY_MS } from '../shared/config.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { bucketOf } from '../shared/time/bucket.ts';
import { completeBefore } from './archive-progress.ts';
import { archive, type ArchiveProgress, type ArchiveResult } from './archiver.ts';
import { readManifest, type BatchManifest } from './batch-manifest.ts';
import { sameViews, viewSignatures } from '../shared/compute/view-signature.ts';
import { coversRange, isCovered, type BucketRange } from './bucket-coverage.ts';
import { runBatch, type BatchProgress, type BatchResult } from './batch-job.ts';
import { masterFilesByBucket, sourceDigest, type MasterObject } from './master-buckets.ts';

const DAY_MS = 86_400_000;

export interface BatchCycleDeps {
  readonly log: EventLog;
  readonly objects: ObjectStore;
  readonly db: DuckDb;
  readonly pipeline: Pipeline;
  readonly topic: string;
  readonly workDir: string;
  readonly clock?: () => number;
  /** See BatchOptions.stragglerDelayMs. */
  readonly stragglerDelayMs?: number;
  readonly onArchiveProgress?: (p: ArchiveProgress) => void;
  readonly onBatchProgress?: (p: BatchProgress) => void;
}

export interface BatchCycleResult {
  readonly archived: ArchiveResult;
  /** Null when no bucket needed computing. */
  readonly batch: BatchResult | null;
}

/**
 * What the hourly cycle must do with the complete buckets (ending at or before `completeBefore`),
 * or null when nothing: cover them all from the first with data, and compute those with data that
 * were never published, were published by a pipeline with other views, or whose master files
 * changed since (late events archived after the bucket was computed). Empty buckets are covered,
 * never computed, so the work follows the buckets with data, whatever the span. Stateless:
 * everything is read from the master listing and the manifest, so a crashed cycle is simply caught up.
 */
export function staleBuckets(sources: ReadonlyMap<number, readonly MasterObject[]>, manifest: BatchManifest | undefined, pipeline: Pipeline, completeBefore: number): { cover: BucketRange; compute: number[] } | null {
  const bucketMs = pipeline.config.bucketMs;
  const dataBuckets = [...sources.keys()];
  if (dataBuckets.length === 0) return null;
  const first = dataBuckets.reduce((a, b) => Math.min(a, b));
  const cover = { from: first, to: first + Math.floor((completeBefore - first) / bucketMs) * bucketMs };
  if (cover.from >= cover.to) return null;
  const usable = manifest && manifest.bucketMs === bucketMs && sameViews(manifest.views, viewSignatures(pipeline));
  const published = new Map(usable ? manifest.buckets.map((b) => [b.bucket, b.source.digest]) : []);
  const covered = usable ? manifest.covered : [];
  // A bucket published incomplete (--include-incomplete) is stale once it is complete.
  const incomplete = new Set(usable ? manifest.buckets.filter((b) => b.incomplete).map((b) => b.bucket) : []);
  const compute = dataBuckets.filter((b) => {
    if (b < cover.from || b >= cover.to) return false;
    if (incomplete.has(b)) return true;
    const digest = published.get(b) ?? (isCovered(covered, b) ? EMPTY_DIGEST : undefined);
    return digest !== sourceDigest(sources.get(b) ?? []);
  });
  // A published bucket whose master files are gone is stale too: the run's cover drops its entry.
  const emptied = [...published.keys()].some((b) => b >= cover.from && b < cover.to && !sources.has(b));
  if (compute.length === 0 && !emptied && coversRange(covered, cover)) return null;
  return { cover, compute: compute.sort((a, b) => a - b) };
}

/** The digest of a bucket without master files, which a covered bucket without an entry has. */
const EMPTY_DIGEST = sourceDigest([]);

/**
 * The hourly cycle: archive the log to its end, then compute the stale complete buckets (complete:
 * the archived watermark is past their end plus the straggler delay, whatever the clock says).
 */
export async function runHourlyCycle(deps: BatchCycleDeps): Promise<BatchCycleResult> {
  const archived = await archiveAll(deps);
  const bucketMs = deps.pipeline.config.bucketMs;
  const [sources, manifest] = await Promise.all([masterFilesByBucket(deps.objects, bucketMs), readManifest(deps.objects)]);
  const complete = completeBefore(archived.progress, deps.pipeline.config.lateness, deps.stragglerDelayMs ?? DEFAULT_STRAGGLER_DELAY_MS);
  const todo = staleBuckets(sources, manifest, deps.pipeline, complete);
  const batch = todo === null ? null : await runBatch(batchDeps(deps), { buckets: todo, stragglerDelayMs: deps.stragglerDelayMs });
  return { archived, batch };
}

/** The daily cycle: archive, then recompute every complete bucket of the previous UTC day whatever its state. */
export async function runDailyRecompute(deps: BatchCycleDeps): Promise<BatchCycleResult> {
  const archived = await archiveAll(deps);
  const today = bucketOf((deps.clock ?? Date.now)(), DAY_MS);
  const batch = await runBatch(batchDeps(deps), { buckets: { from: today - DAY_MS, to: today }, stragglerDelayMs: deps.stragglerDelayMs });
  return { archived, batch };
}

function archiveAll(deps: BatchCycleDeps): Promise<ArchiveResult> {
  const { log, objects, db, pipeline, topic, workDir, clock } = deps;
  return archive({ log, objects, db, pipeline, topic, workDir, clock, onProgress: deps.onArchiveProgress }, { untilEnd: true });
}

function batchDeps(deps: BatchCycleDeps) {
  const { objects, db, pipeline, workDir, clock } = deps;
  return { objects, db, pipeline, workDir, clock, onProgress: deps.onBatchProgress };
}
