import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { LocalObjectStore } from '../../infra/embedded/local-object-store.ts';
import { compilePipeline, type Pipeline } from '../../shared/compute/pipeline.ts';
import type { AppendRecord } from '../../shared/ports/event-log.ts';
import { readArchiveProgress, writeArchiveProgress } from '../../batch/archive-progress.ts';
import { DEFAULT_STRAGGLER_DELAY_MS } from '../../shared/config.ts';
import type { GeneratedRecord } from '../support/random-events.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

/**
 * What a batch-layer test runs against: the embedded log and the local object store in a fresh
 * temp directory, an in-memory DuckDB and the reference pipeline. Each env has its own topic name.
 */
export interface BatchTestEnv {
  readonly dir: string;
  readonly log: EmbeddedLog;
  readonly objects: LocalObjectStore;
  readonly db: DuckDb;
  readonly pipeline: Pipeline;
  readonly topic: string;
  readonly workDir: string;
  close(): Promise<void>;
}

/** Opens a fresh env; `partitions` of the topic it creates. */
export async function openBatchTestEnv(name: string, partitions = 3): Promise<BatchTestEnv> {
  const dir = await mkdtemp(join(tmpdir(), `lk-batch-${name}-`));
  const log = await EmbeddedLog.open(join(dir, 'log'));
  const objects = new LocalObjectStore(join(dir, 'objects'));
  const db = await DuckDb.open();
  const topic = `events-${name}-${randomBytes(3).toString('hex')}`;
  await log.ensureTopic(topic, partitions);
  return {
    dir,
    log,
    objects,
    db,
    pipeline: compilePipeline(ecommerceConfig()),
    topic,
    workDir: join(dir, 'work'),
    async close() {
      await log.close();
      await objects.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * As if the log had moved on to `time` in every archived partition: sets the archived watermarks
 * so that, with the default straggler delay, exactly the buckets ending at or before `time` are
 * complete. For tests about what the batch job computes, not about when an hour is complete.
 */
export async function closeHoursBefore(env: BatchTestEnv, time: number): Promise<void> {
  const progress = await readArchiveProgress(env.objects);
  const watermarkProgress = time + DEFAULT_STRAGGLER_DELAY_MS + env.pipeline.config.lateness.maxOutOfOrdernessMs;
  for (const [p, a] of progress) progress.set(p, { ...a, watermarkProgress });
  await writeArchiveProgress(env.objects, progress);
}

/** Appends generated records as a producer would: keyed by user, with the record's timestamp. */
export async function appendGenerated(env: BatchTestEnv, records: readonly GeneratedRecord[]): Promise<void> {
  const batch: AppendRecord[] = records.map((r) => ({ key: r.event.user_id, value: r.record.value, timestamp: r.record.timestamp }));
  await env.log.append(env.topic, batch);
}
