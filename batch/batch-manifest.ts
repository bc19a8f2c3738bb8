import type { ViewSignature } from '../shared/compute/view-signature.ts';
import { LkError } from '../shared/errors.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { coverageHorizon, isCovered, mergeRanges, rangesOfBuckets, type BucketRange } from './bucket-coverage.ts';
import { VIEWS_PREFIX } from './pane-file.ts';
import { QUALITY_CHECKS, type QualityCheck } from './quality-gate.ts';

/**
 * The manifest is the published state of the batch layer: which run computed each bucket and
 * where its pane files are. It is written last, in one atomic put, so a reader sees a whole
 * batch or the previous one, never half of one.
 */
export const MANIFEST_KEY = `${VIEWS_PREFIX}_manifest.json`;
export const MANIFEST_VERSION = 2;

export interface PublishedBucket {
  /** Bucket start (epoch ms). */
  readonly bucket: number;
  /** The run that computed it. */
  readonly runId: string;
  /** Master rows read (duplicates included) and distinct events. */
  readonly rows: number;
  readonly events: number;
  /** The master files it was computed from: a changed digest means new data arrived since. */
  readonly source: { readonly files: number; readonly digest: string };
  /** Pane file keys per view (none when the view has no pane in the bucket). */
  readonly files: Readonly<Record<string, readonly string[]>>;
  /**
   * Published before the log's watermark was past its end plus the straggler delay (only with
   * `includeIncomplete`): it stays above the horizon, so serving never labels it final, and the
   * hourly cycle recomputes it once it is complete. Absent (complete) in manifests written before.
   */
  readonly incomplete?: true;
}

export interface BatchManifest {
  readonly version: typeof MANIFEST_VERSION;
  /** The run that published this manifest, and when. */
  readonly runId: string;
  readonly publishedAt: string;
  readonly bucketMs: number;
  /**
   * End of the covered range that starts at the earliest covered bucket (exclusive), cut at the
   * first incomplete bucket (see manifestHorizon); null when none.
   */
  readonly horizon: number | null;
  readonly views: Readonly<Record<string, ViewSignature>>;
  /**
   * The buckets computed, as merged ranges (bucket-coverage.ts). A covered bucket without an entry
   * in `buckets` had no master data: it is empty, not missing.
   */
  readonly covered: readonly BucketRange[];
  /** The covered buckets that had master data, sorted by bucket. */
  readonly buckets: readonly PublishedBucket[];
  /** Runs that published, oldest first (the last few), so pruning keeps recent runs readable. */
  readonly history: readonly string[];
  /**
   * Hours the quality gate kept from being published, oldest first (the last REJECTIONS_KEPT): the
   * previous version of each keeps serving. Absent in manifests written before the gate.
   */
  readonly rejected?: readonly QualityRejection[];
}

/** One failed check of one run's hour (and view; null for the hour's input counts). */
export interface QualityRejection {
  readonly runId: string;
  /** When the run's gate judged it (ISO-8601). */
  readonly at: string;
  readonly view: string | null;
  readonly bucket: number;
  readonly check: QualityCheck;
  readonly detail: string;
}

/** Rejections a manifest remembers. */
export const REJECTIONS_KEPT = 100;

/** The rejections of the last run whose gate failed, or [] when none did. */
export function lastRejection(m: Pick<BatchManifest, 'rejected'> | undefined): QualityRejection[] {
  const all = m?.rejected ?? [];
  const last = all[all.length - 1]?.runId;
  return all.filter((r) => r.runId === last);
}

/** The horizon of a coverage: the end of the range that starts at the earliest covered bucket. */
export function horizonOf(covered: readonly BucketRange[]): number | null {
  return coverageHorizon(covered);
}

/**
 * The horizon of a manifest: the coverage's horizon, cut at the first bucket published incomplete
 * (`includeIncomplete`), so nothing in an incomplete bucket is ever below the horizon.
 */
export function manifestHorizon(covered: readonly BucketRange[], buckets: readonly Pick<PublishedBucket, 'bucket' | 'incomplete'>[]): number | null {
  const horizon = horizonOf(covered);
  const firstIncomplete = buckets.filter((b) => b.incomplete).reduce((min, b) => Math.min(min, b.bucket), Number.POSITIVE_INFINITY);
  return horizon === null ? null : Math.min(horizon, firstIncomplete);
}

/** Reads the published manifest; undefined before the first publish. */
export async function readManifest(objects: ObjectStore): Promise<BatchManifest | undefined> {
  const text = await objects.getText(MANIFEST_KEY);
  return text === undefined ? undefined : parseManifest(text);
}

/** Parses and checks a manifest's shape; throws saying how to recover from a damaged one. */
export function parseManifest(text: string): BatchManifest {
  const damaged = (why: string) =>
    new LkError(`${MANIFEST_KEY} is damaged (${why}): delete it and run the batch job again to republish every bucket from the master dataset`);
  let m: Omit<BatchManifest, 'version'> & { version: number };
  try {
    m = JSON.parse(text) as Omit<BatchManifest, 'version'> & { version: number };
  } catch (err) {
    throw damaged(`not JSON: ${(err as Error).message}`);
  }
  if (typeof m !== 'object' || m === null) throw damaged('not an object');
  // Version 1 listed every covered bucket, empty ones too: its coverage is its buckets.
  if (m.version === 1 && Number.isInteger(m.bucketMs) && m.bucketMs > 0 && Array.isArray(m.buckets)) {
    m = { ...m, version: MANIFEST_VERSION, covered: rangesOfBuckets(m.buckets.map((b) => b?.bucket), m.bucketMs), buckets: m.buckets.filter((b) => b?.source?.files !== 0) };
  }
  if (m.version !== MANIFEST_VERSION) {
    throw new LkError(`${MANIFEST_KEY} has version ${String(m.version)}; this build reads version ${MANIFEST_VERSION}: run the batch job to republish it`);
  }
  if (!Number.isInteger(m.bucketMs) || m.bucketMs <= 0) throw damaged('bucketMs');
  if (!Array.isArray(m.buckets) || !Array.isArray(m.history) || typeof m.views !== 'object' || m.views === null) throw damaged('missing buckets, history or views');
  for (const b of m.buckets) {
    if (!Number.isInteger(b?.bucket) || typeof b.runId !== 'string' || typeof b.files !== 'object' || b.files === null) throw damaged('a bucket entry');
  }
  if (!Array.isArray(m.covered) || m.covered.some((r) => !Number.isSafeInteger(r?.from) || !Number.isSafeInteger(r?.to) || r.from >= r.to)) throw damaged('the covered ranges');
  const covered = mergeRanges(m.covered);
  // Incomplete buckets are published above the coverage: it holds complete hours only.
  if (m.buckets.some((b) => !b.incomplete && !isCovered(covered, b.bucket))) throw damaged('a complete bucket outside the covered ranges');
  if (m.horizon !== manifestHorizon(covered, m.buckets)) throw damaged('the horizon does not match its covered ranges');
  if (m.rejected !== undefined && (!Array.isArray(m.rejected) || m.rejected.some((r) => typeof r?.runId !== 'string' || !Number.isInteger(r.bucket) || !QUALITY_CHECKS.includes(r.check)))) {
    throw damaged('the rejected hours');
  }
  return m as BatchManifest;
}
