import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { manifestHorizon, MANIFEST_KEY, MANIFEST_VERSION, REJECTIONS_KEPT, type BatchManifest, type PublishedBucket } from './batch-manifest.ts';
import { sameViews, viewSignatures } from '../shared/compute/view-signature.ts';
import { isCovered, mergeRanges, withoutBuckets, type BucketRange } from './bucket-coverage.ts';
import type { QualityFailure } from './quality-gate.ts';
import { RUNS_PREFIX, runIdOfKey } from './pane-file.ts';

/** Published runs remembered in the manifest's history. */
const HISTORY_LENGTH = 10;

/**
 * The manifest that publishes `computed` on top of `previous`: the run's `cover` (complete
 * buckets only; incomplete ones are entries above it) joins the coverage, recomputed buckets replace their old entries, and an old entry inside the cover
 * whose bucket has no master data any more (`withData` lacks it) goes, since the run saw it empty.
 * The others are carried over. When the pipeline's views or bucket size changed, the old buckets
 * mean something else and are dropped: the horizon restarts from what this run covered.
 *
 * Hours the quality gate `rejected` are neither entries nor covered: their previous entries (or
 * their absence, above the horizon) stay, and the failures join the manifest's `rejected` list.
 * When the gate rejected every hour the run computed, the previous manifest stays as it was
 * (same run, same files) but for that list, so serving reloads nothing.
 */
export function nextManifest(input: {
  previous: BatchManifest | undefined;
  pipeline: Pipeline;
  runId: string;
  computed: readonly PublishedBucket[];
  cover: readonly BucketRange[];
  withData: ReadonlySet<number>;
  now: number;
  rejected?: readonly QualityFailure[];
}): BatchManifest {
  const { previous, pipeline, runId } = input;
  const bucketMs = pipeline.config.bucketMs;
  const views = viewSignatures(pipeline);
  const same = previous !== undefined && previous.bucketMs === bucketMs && sameViews(previous.views, views);
  const failures = input.rejected ?? [];
  const rejectedBuckets = new Set(failures.map((f) => f.bucket));
  const at = new Date(input.now).toISOString();
  const rejected = [...(previous?.rejected ?? []), ...failures.map((f) => ({ runId, at, ...f }))].slice(-REJECTIONS_KEPT);
  const computed = input.computed.filter((b) => !rejectedBuckets.has(b.bucket));
  if (failures.length > 0 && computed.length === 0 && previous !== undefined && same) return { ...previous, rejected };
  const cover = withoutBuckets(input.cover, rejectedBuckets, bucketMs);
  const carried = same ? previous.buckets.filter((b) => input.withData.has(b.bucket) || !isCovered(cover, b.bucket)) : [];
  const byBucket = new Map(carried.map((b) => [b.bucket, b]));
  // An entry without master files says nothing coverage does not: leave it out.
  for (const b of computed) if (b.source.files > 0) byBucket.set(b.bucket, b);
  const buckets = [...byBucket.values()].sort((a, b) => a.bucket - b.bucket);
  const covered = mergeRanges([...(same ? previous.covered : []), ...cover]);
  return {
    version: MANIFEST_VERSION,
    runId,
    publishedAt: new Date(input.now).toISOString(),
    bucketMs,
    horizon: manifestHorizon(covered, buckets),
    views,
    covered,
    buckets,
    history: [...(previous?.history ?? []), runId].slice(-HISTORY_LENGTH),
    ...(rejected.length > 0 ? { rejected } : {}),
  };
}

/** Publishes a manifest: one atomic put, after every file it names is stored. */
export async function publishManifest(objects: ObjectStore, manifest: BatchManifest): Promise<void> {
  await objects.putText(MANIFEST_KEY, `${JSON.stringify(manifest, null, 1)}\n`);
}

/**
 * Deletes the files of runs nobody can read any more. Kept: runs the current or the previous
 * manifest names (a reader may still be reading the previous one) and the last `keepRuns`
 * published runs. Everything else under views/runs/ goes, including runs that failed before
 * publishing. Returns the deleted run ids. Assumes one batch job at a time per object store.
 */
export async function pruneRuns(objects: ObjectStore, current: BatchManifest, previous: BatchManifest | undefined, keepRuns = 2): Promise<string[]> {
  const keep = new Set<string>([current.runId, ...current.history.slice(-keepRuns)]);
  for (const m of [current, previous]) for (const b of m?.buckets ?? []) keep.add(b.runId);
  const doomed = new Map<string, string[]>();
  for (const o of await objects.list(RUNS_PREFIX)) {
    const run = runIdOfKey(o.key);
    if (run === undefined || keep.has(run)) continue;
    let keys = doomed.get(run);
    if (!keys) doomed.set(run, (keys = []));
    keys.push(o.key);
  }
  for (const keys of doomed.values()) await objects.delete(keys);
  return [...doomed.keys()].sort();
}
