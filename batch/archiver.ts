import { mkdir } from 'node:fs/promises';
import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { EventLog, PartitionOffsets, RecordBatch } from '../shared/ports/event-log.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import { PartitionWatermark, readArchiveProgress, writeArchiveProgress, type ArchivedPartition, type ArchiveProgressMap } from './archive-progress.ts';
import { MasterChunk } from './master-chunk.ts';
import { MASTER_PREFIX, parseMasterFileKey } from './master-dataset.ts';
import { MasterFileWriter } from './master-file-writer.ts';

/** The archiver's consumer group: where its committed offsets live (lag = end offsets - these). */
export const ARCHIVER_GROUP = 'archiver';

export interface ArchiveDeps {
  readonly log: EventLog;
  readonly objects: ObjectStore;
  readonly db: DuckDb;
  readonly pipeline: Pipeline;
  readonly topic: string;
  readonly groupId?: string;
  /** Local directory for Parquet files on their way to the object store. */
  readonly workDir: string;
  readonly onProgress?: (p: ArchiveProgress) => void;
  readonly clock?: () => number;
}

export interface ArchiveOptions {
  /** Stop at the end offsets the log had when archiving started; otherwise run until `signal` aborts. */
  readonly untilEnd: boolean;
  /** Records per partition per chunk: a chunk becomes one file per event hour, then its offset is committed. */
  readonly chunkRecords?: number;
  /** When following the log, a partition's chunk is flushed at the latest this long after its first record. */
  readonly maxChunkAgeMs?: number;
  readonly signal?: AbortSignal;
}

export interface ArchiveProgress {
  /** Records read: valid + invalid. */
  readonly records: number;
  readonly valid: number;
  readonly invalid: number;
  /** Master files written so far. */
  readonly files: number;
}

export interface ArchiveResult extends ArchiveProgress {
  /** Keys of the master files written. */
  readonly fileKeys: readonly string[];
  /** Event-time hours that received files, sorted: the buckets whose batch views may have changed. */
  readonly hours: readonly number[];
  /** Files of an earlier attempt that never committed, removed before re-archiving their records. */
  readonly removedUncommitted: number;
  /** The group's committed offsets after the run. */
  readonly committed: PartitionOffsets;
  /** The stored progress after the run: per partition, the archived offsets and their watermark. */
  readonly progress: ArchiveProgressMap;
}

/**
 * The archiver: copies the raw-events topic into the master dataset. Each record is validated
 * with the shared validator against its own log timestamp (as the speed layer does, so both
 * layers accept the same events); valid events, duplicates included, are appended to Parquet
 * files partitioned by event hour. Invalid records are counted only: the speed layer dead-letters
 * them.
 *
 * Exactly-once into the object store: records are read from the group's committed offsets, and a
 * partition's offset is committed only after the files of its chunk are stored. A crash in
 * between leaves files at offsets >= the committed one; the next run deletes them before reading
 * those records again, so the master dataset holds every record once.
 *
 * The archiver reads without a consumer group and commits by hand: an adapter's automatic
 * commit after each batch would run ahead of the files, which are written per chunk.
 *
 * It also keeps each partition's watermark over the records it archived (the shared Watermark),
 * stored with the archived offsets in one object (archive-progress.ts) after a chunk's files and
 * before the group commit: the batch layer publishes an hour only once that watermark is past
 * it. That object is the resume point; without one (an archive written before it existed) the
 * archiver re-reads the already archived records once, for their watermark only.
 */
export async function archive(deps: ArchiveDeps, options: ArchiveOptions): Promise<ArchiveResult> {
  const { log, objects, pipeline, topic } = deps;
  const group = deps.groupId ?? ARCHIVER_GROUP;
  const clock = deps.clock ?? Date.now;
  const chunkRecords = options.chunkRecords ?? 50_000;
  const maxChunkAgeMs = options.maxChunkAgeMs ?? 60_000;
  await mkdir(deps.workDir, { recursive: true });
  const writer = new MasterFileWriter({ ...deps, schema: deps.pipeline.config.schema });

  const stored = await readArchiveProgress(objects);
  const { archiveFrom, readFrom } = await startOffsets(log, topic, group, stored);
  const removedUncommitted = await removeUncommittedFiles(objects, archiveFrom);
  const policy = pipeline.config.lateness;
  const watermarks = new Map<number, PartitionWatermark>();
  for (const [p, from] of readFrom) watermarks.set(p, new PartitionWatermark(policy, stored.get(p), from));
  const persisted = new Map<number, ArchivedPartition>(stored);

  const chunks = new Map<number, MasterChunk>();
  const committed = new Map(archiveFrom);
  const fileKeys: string[] = [];
  const hours = new Set<number>();
  const counts = { records: 0, valid: 0, invalid: 0 };
  const progress = () => deps.onProgress?.({ ...counts, files: fileKeys.length });

  // Flushes run one at a time, so a partition's commits land in offset order.
  let flushing: Promise<void> = Promise.resolve();
  const flush = (partition: number): Promise<void> => {
    const chunk = chunks.get(partition);
    if (!chunk) return flushing;
    chunks.delete(partition);
    // Taken now: the watermark over exactly the records of this chunk and before.
    const snapshot = watermarks.get(partition)!.snapshot();
    flushing = flushing.then(async () => {
      for (const f of chunk.files()) {
        fileKeys.push(await writer.write(f));
        hours.add(f.hour);
      }
      // After the files (a crash before this put leaves the older, lower watermark), before the group commit.
      persisted.set(partition, snapshot);
      await writeArchiveProgress(objects, persisted);
      await log.commitOffsets(topic, group, new Map([[partition, chunk.nextOffset]]));
      committed.set(partition, chunk.nextOffset);
      progress();
    });
    return flushing;
  };

  const onBatch = async (batch: RecordBatch): Promise<void> => {
    for (const r of batch.records) {
      const result = pipeline.validator.validateRecord(r.value, r.timestamp);
      let wm = watermarks.get(r.partition);
      if (!wm) watermarks.set(r.partition, (wm = new PartitionWatermark(policy, undefined, r.offset)));
      if (result.ok) wm.observe(r.offset, pipeline.timeOf(result.event), r.timestamp);
      else wm.skip(r.offset, r.timestamp);
      // Already archived by a run that kept no progress: read again for the watermark only.
      if (r.offset < (archiveFrom.get(r.partition) ?? 0)) continue;
      let chunk = chunks.get(r.partition);
      if (!chunk) chunks.set(r.partition, (chunk = new MasterChunk(r.partition, clock(), pipeline)));
      counts.records++;
      if (result.ok) {
        counts.valid++;
        chunk.add(result.event, r);
      } else {
        counts.invalid++;
        chunk.skip(r.offset);
      }
      if (chunk.records >= chunkRecords) await flush(r.partition);
    }
    progress();
  };

  const subscription = await log.consume({
    topic,
    from: { kind: 'offsets', offsets: readFrom, fallback: 'earliest' },
    stopAtEnd: options.untilEnd,
    maxBatchRecords: 5_000,
    onBatch,
  });
  const stop = () => void subscription.stop();
  options.signal?.addEventListener('abort', stop);
  if (options.signal?.aborted) stop();
  // Following the log, a quiet partition must not hold its records back for ever.
  const timer = options.untilEnd
    ? undefined
    : setInterval(() => {
        for (const c of chunks.values()) if (clock() - c.openedAt >= maxChunkAgeMs) void flush(c.partition).catch(() => undefined);
      }, Math.max(100, Math.min(maxChunkAgeMs, 5_000)));
  try {
    await subscription.done;
  } finally {
    if (timer) clearInterval(timer);
    options.signal?.removeEventListener('abort', stop);
  }
  for (const p of [...chunks.keys()]) void flush(p);
  await flushing;
  // Partitions only re-read for their watermark (no new record to archive) store it now.
  let rescanned = false;
  for (const [p, wm] of watermarks) {
    const now = wm.snapshot();
    if (persisted.get(p)?.nextOffset !== now.nextOffset && now.nextOffset <= (archiveFrom.get(p) ?? 0)) {
      persisted.set(p, now);
      rescanned = true;
    }
  }
  if (rescanned) await writeArchiveProgress(objects, persisted);
  return { ...counts, files: fileKeys.length, fileKeys, hours: [...hours].sort((a, b) => a - b), removedUncommitted, committed, progress: persisted };
}

/**
 * Where each partition resumes archiving: the stored progress, else the group's committed offset
 * (an archive written before the progress existed), else the earliest retained one; and where
 * it starts reading: the same, except without stored progress, from the earliest retained record
 * (the records before the resume point are read for their watermark only).
 */
async function startOffsets(log: EventLog, topic: string, group: string, stored: ArchiveProgressMap): Promise<{ archiveFrom: Map<number, number>; readFrom: Map<number, number> }> {
  const [committed, beginning] = await Promise.all([log.committedOffsets(topic, group), log.beginningOffsets(topic)]);
  const archiveFrom = new Map<number, number>();
  const readFrom = new Map<number, number>();
  // Below the beginning, retention dropped records before they were archived: nothing to resume there.
  for (const [p, first] of beginning) {
    const progress = stored.get(p);
    const from = Math.max(progress?.nextOffset ?? committed.get(p) ?? first, first);
    archiveFrom.set(p, from);
    readFrom.set(p, progress ? from : first);
  }
  return { archiveFrom, readFrom };
}

/** Deletes master files holding records at or after a partition's resume offset (an attempt that failed before committing). */
async function removeUncommittedFiles(objects: ObjectStore, start: ReadonlyMap<number, number>): Promise<number> {
  const stale: string[] = [];
  for (const o of await objects.list(MASTER_PREFIX)) {
    const f = parseMasterFileKey(o.key);
    const from = f && start.get(f.partition);
    if (f && from !== undefined && f.firstOffset >= from) stale.push(f.key);
  }
  await objects.delete(stale);
  return stale.length;
}
