import { checkpointWatermark } from '../shared/compute/partition-processor.ts';
import { LkError } from '../shared/errors.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { HOUR_MS } from '../shared/time/bucket.ts';
import { masterHourOf } from './master-dataset.ts';
import { combinedWatermark } from '../shared/time/combined-watermark.ts';
import { NO_APPEND_TIME, Watermark, type LatenessPolicy } from '../shared/time/watermark.ts';

/**
 * The archiver's progress: per log partition, how far its records are in the master dataset
 * and the partition's watermark over exactly those records (the shared Watermark, so the batch
 * layer judges completeness by the rule the speed layer judges lateness by). One object, written
 * with one atomic put after the master files it covers are stored: a crash before the put leaves
 * the previous progress, which covers fewer records and so never makes an hour look complete
 * that is not.
 */
export const ARCHIVE_PROGRESS_KEY = 'archiver/progress.json';
export const ARCHIVE_PROGRESS_VERSION = 1;

/** One partition's archived prefix of the log. */
export interface ArchivedPartition {
  /** Records below this offset are in the master dataset (valid ones) or were rejected. */
  readonly nextOffset: number;
  /** As in PartitionCheckpoint: max event time and watermark progress, null before the first valid event. */
  readonly maxEventTime: number | null;
  readonly watermarkProgress: number | null;
  /** Latest append time of an archived valid record (idleness); null before one or when unknown. */
  readonly lastAppendTime: number | null;
  /**
   * Records below nextOffset per hour (start, epoch ms, as text): valid ones by the hour of their
   * event time (their master directory), invalid ones (dead letters) by the hour of their append
   * time (an invalid record may have no event time). For the batch quality gate; hours more than
   * COUNT_RETENTION_MS behind the newest are dropped, and a progress written before counting
   * began has none: the gate then reads 0, which it never fails on.
   */
  readonly counts?: HourCounts;
}

export interface HourCounts {
  readonly valid: Readonly<Record<string, number>>;
  readonly invalid: Readonly<Record<string, number>>;
}

/** How much event or append time behind the newest counted hour a partition's hour counts are kept. */
export const COUNT_RETENTION_MS = 7 * 86_400_000;

export type ArchiveProgressMap = ReadonlyMap<number, ArchivedPartition>;

/** A partition's watermark while the archiver reads it. */
export class PartitionWatermark {
  readonly #wm: Watermark;
  readonly #valid: Map<number, number>;
  readonly #invalid: Map<number, number>;
  nextOffset: number;

  /** `from`: the stored progress to continue (its counts too); without one, counting starts at `nextOffset`. */
  constructor(policy: LatenessPolicy, from: ArchivedPartition | undefined, nextOffset: number) {
    this.#wm = from ? checkpointWatermark(policy, from) : new Watermark(policy);
    this.nextOffset = nextOffset;
    const read = (r: Readonly<Record<string, number>> | undefined) => new Map(Object.entries(r ?? {}).map(([h, n]) => [Number(h), n]));
    this.#valid = read(from?.counts?.valid);
    this.#invalid = read(from?.counts?.invalid);
  }

  /** A valid record: moves the watermark as the stream's PartitionProcessor does. */
  observe(offset: number, eventTime: number, appendTime: number = NO_APPEND_TIME): void {
    this.#wm.observe(eventTime, appendTime);
    this.nextOffset = offset + 1;
    const hour = masterHourOf(eventTime);
    this.#valid.set(hour, (this.#valid.get(hour) ?? 0) + 1);
  }

  /** A record that failed validation: read and counted as a dead letter of its append hour, but no watermark move. */
  skip(offset: number, appendTime?: number): void {
    this.nextOffset = offset + 1;
    if (appendTime === undefined || !Number.isFinite(appendTime)) return;
    const hour = masterHourOf(appendTime);
    this.#invalid.set(hour, (this.#invalid.get(hour) ?? 0) + 1);
  }

  snapshot(): ArchivedPartition {
    const { maxEventTime, progress, lastAppendTime } = this.#wm;
    const newest = Math.max(-Infinity, ...this.#valid.keys(), ...this.#invalid.keys());
    const kept = (m: Map<number, number>) => Object.fromEntries([...m].filter(([h]) => h > newest - COUNT_RETENTION_MS).sort((a, b) => a[0] - b[0]).map(([h, n]) => [String(h), n]));
    return {
      nextOffset: this.nextOffset,
      maxEventTime: Number.isFinite(maxEventTime) ? maxEventTime : null,
      watermarkProgress: Number.isFinite(progress) ? progress : null,
      lastAppendTime: Number.isFinite(lastAppendTime) ? lastAppendTime : null,
      counts: { valid: kept(this.#valid), invalid: kept(this.#invalid) },
    };
  }
}

/** The hours (starts, epoch ms) in which some partition archived valid records, as far as the counts go. */
export function hoursWithValidRecords(progress: ArchiveProgressMap): number[] {
  const hours = new Set<number>();
  for (const a of progress.values()) for (const [h, n] of Object.entries(a.counts?.valid ?? {})) if (n > 0) hours.add(Number(h));
  return [...hours].sort((a, b) => a - b);
}

/**
 * The archived records of a batch bucket over every partition: valid ones (by event time) and
 * dead letters (by append time). Null when the bucket is shorter than an hour (the counts are per
 * hour). Lower bounds: hours dropped by COUNT_RETENTION_MS, or archived before counting began, count 0.
 */
export function archivedCounts(progress: ArchiveProgressMap, bucket: number, bucketMs: number): { valid: number; invalid: number } | null {
  if (bucketMs < HOUR_MS || bucketMs % HOUR_MS !== 0) return null;
  let valid = 0;
  let invalid = 0;
  for (const a of progress.values()) {
    for (let h = bucket; h < bucket + bucketMs; h += HOUR_MS) {
      valid += a.counts?.valid[String(h)] ?? 0;
      invalid += a.counts?.invalid[String(h)] ?? 0;
    }
  }
  return { valid, invalid };
}

/** Reads the archiver's progress; empty before the first archive run that wrote one. */
export async function readArchiveProgress(objects: ObjectStore): Promise<Map<number, ArchivedPartition>> {
  const text = await objects.getText(ARCHIVE_PROGRESS_KEY);
  if (text === undefined) return new Map();
  const damaged = (why: string) => new LkError(`${ARCHIVE_PROGRESS_KEY} is damaged (${why}): delete it and run lk archive again (it re-reads the archived log for the watermarks)`);
  let state: { version?: unknown; partitions?: Record<string, ArchivedPartition> };
  try {
    state = JSON.parse(text) as typeof state;
  } catch (err) {
    throw damaged(`not JSON: ${(err as Error).message}`);
  }
  if (state.version !== ARCHIVE_PROGRESS_VERSION) throw damaged(`version ${String(state.version)}, this build reads ${ARCHIVE_PROGRESS_VERSION}`);
  if (typeof state.partitions !== 'object' || state.partitions === null) throw damaged('no partitions');
  const out = new Map<number, ArchivedPartition>();
  for (const [p, a] of Object.entries(state.partitions)) {
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(a?.nextOffset)) throw damaged(`partition ${p}`);
    const counts = a.counts && typeof a.counts.valid === 'object' && typeof a.counts.invalid === 'object' ? { valid: a.counts.valid, invalid: a.counts.invalid } : undefined;
    out.set(Number(p), { nextOffset: a.nextOffset, maxEventTime: a.maxEventTime ?? null, watermarkProgress: a.watermarkProgress ?? null, lastAppendTime: a.lastAppendTime ?? null, ...(counts ? { counts } : {}) });
  }
  return out;
}

/** Stores the progress in one atomic put. Call only once the master files below each nextOffset are stored. */
export async function writeArchiveProgress(objects: ObjectStore, progress: ArchiveProgressMap): Promise<void> {
  const partitions = Object.fromEntries([...progress].sort((a, b) => a[0] - b[0]).map(([p, a]) => [String(p), a]));
  await objects.putText(ARCHIVE_PROGRESS_KEY, `${JSON.stringify({ version: ARCHIVE_PROGRESS_VERSION, partitions })}\n`);
}

/**
 * The end of the complete buckets: a bucket is complete when the log's watermark over the
 * archived records (min over partitions, as serving takes the stream's) is at or past its end
 * plus the straggler delay, so buckets ending at or before the returned time are complete.
 * Partitions without a valid event archived do not hold buckets back (a partition nobody writes
 * to would stop the batch layer for ever), nor do idle ones (combined-watermark.ts: no valid
 * record appended for the policy's idleTimeoutMs before the newest); -Infinity when no partition has one.
 */
export function completeBefore(progress: ArchiveProgressMap, policy: LatenessPolicy, stragglerDelayMs: number): number {
  const watermarks = [...progress.values()].filter((a) => a.watermarkProgress !== null).map((a) => checkpointWatermark(policy, a));
  const watermark = combinedWatermark(watermarks, policy.idleTimeoutMs);
  return Number.isFinite(watermark) ? watermark - stragglerDelayMs : Number.NEGATIVE_INFINITY;
}
