import { checkpointWatermark } from '../shared/compute/partition-processor.ts';
import { LkError } from '../shared/errors.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
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
}

export type ArchiveProgressMap = ReadonlyMap<number, ArchivedPartition>;

/** A partition's watermark while the archiver reads it. */
export class PartitionWatermark {
  readonly #wm: Watermark;
  nextOffset: number;

  constructor(policy: LatenessPolicy, from: ArchivedPartition | undefined, nextOffset: number) {
    this.#wm = from ? checkpointWatermark(policy, from) : new Watermark(policy);
    this.nextOffset = nextOffset;
  }

  /** A valid record: moves the watermark as the stream's PartitionProcessor does. */
  observe(offset: number, eventTime: number, appendTime: number = NO_APPEND_TIME): void {
    this.#wm.observe(eventTime, appendTime);
    this.nextOffset = offset + 1;
  }

  /** A record that failed validation: read, but no watermark move. */
  skip(offset: number): void {
    this.nextOffset = offset + 1;
  }

  snapshot(): ArchivedPartition {
    const { maxEventTime, progress, lastAppendTime } = this.#wm;
    return {
      nextOffset: this.nextOffset,
      maxEventTime: Number.isFinite(maxEventTime) ? maxEventTime : null,
      watermarkProgress: Number.isFinite(progress) ? progress : null,
      lastAppendTime: Number.isFinite(lastAppendTime) ? lastAppendTime : null,
    };
  }
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
    out.set(Number(p), { nextOffset: a.nextOffset, maxEventTime: a.maxEventTime ?? null, watermarkProgress: a.watermarkProgress ?? null, lastAppendTime: a.lastAppendTime ?? null });
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
