import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARCHIVE_PROGRESS_KEY, readArchiveProgress } from '../../batch/archive-progress.ts';
import { ARCHIVER_GROUP, archive } from '../../batch/archiver.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { readManifest } from '../../batch/batch-manifest.ts';
import { LocalObjectStore } from '../../infra/embedded/local-object-store.ts';
import { MASTER_PREFIX, masterFileKey, parseMasterFileKey } from '../../batch/master-dataset.ts';
import { parquetSource } from '../../batch/parquet-source.ts';
import { bucketOf, HOUR_MS, partitionPath } from '../../shared/time/bucket.ts';
import { randomWorkload } from '../support/random-events.ts';
import { waitFor } from '../support/wait-for.ts';
import { appendGenerated, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';

const envs: BatchTestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

async function env(name: string): Promise<BatchTestEnv> {
  const e = await openBatchTestEnv(name);
  envs.push(e);
  return e;
}

const START = Date.UTC(2026, 2, 1, 9, 0);

/** A workload over three hours with duplicates, plus records the shared validator rejects. */
function workload(seed: number) {
  return randomWorkload({ seed, events: 600, start: START + 20 * 60_000, spanMs: 3 * HOUR_MS, duplicateRate: 0.1, maxDisorderMs: 30_000 });
}

const INVALID = ['not json', '{"event_id":"x"}', JSON.stringify({ event_id: 'bad-type', event_type: 'refund', user_id: 'u1', product_id: 'p1', event_time: START })];

async function masterRows(e: BatchTestEnv): Promise<Array<{ key: string; event_id: string; event_time: bigint; log_partition: number; log_offset: bigint; raw: string }>> {
  const out = [];
  for (const o of await e.objects.list(MASTER_PREFIX)) {
    const rows = await e.db.all<{ event_id: string; event_time: bigint; log_partition: number; log_offset: bigint; raw: string }>(
      `SELECT event_id, event_time, log_partition, log_offset, raw FROM ${parquetSource([await e.objects.localPath(o.key)])}`,
    );
    for (const r of rows) out.push({ key: o.key, ...r });
  }
  return out;
}

describe('archive', () => {
  it('writes every valid record, duplicates included, into the dt/hour partition of its event time', async () => {
    const e = await env('partition');
    const w = workload(11);
    await appendGenerated(e, w.records);
    await e.log.append(e.topic, INVALID.map((value) => ({ key: 'u-invalid', value, timestamp: START })));

    const result = await archive({ ...e }, { untilEnd: true });

    expect(result.records).toBe(w.records.length + INVALID.length);
    expect(result.valid).toBe(w.records.length);
    expect(result.invalid).toBe(INVALID.length);
    const rows = await masterRows(e);
    expect(rows.length).toBe(w.records.length);
    const duplicates = w.records.filter((r) => r.kind === 'duplicate').length;
    expect(duplicates).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(w.records.length - duplicates);
    for (const r of rows) {
      const file = parseMasterFileKey(r.key)!;
      expect(r.key.startsWith(`${MASTER_PREFIX}${partitionPath(bucketOf(Number(r.event_time), HOUR_MS))}/`)).toBe(true);
      expect(file.partition).toBe(r.log_partition);
      expect(Number(r.log_offset)).toBeGreaterThanOrEqual(file.firstOffset);
      expect(Number(r.log_offset)).toBeLessThanOrEqual(file.lastOffset);
    }
    expect(rows.some((r) => INVALID.includes(r.raw))).toBe(false);
    expect(result.hours).toEqual([...new Set(rows.map((r) => bucketOf(Number(r.event_time), HOUR_MS)))].sort((a, b) => a - b));
    // Everything read is committed, invalid records included, so nothing is read twice.
    const end = await e.log.endOffsets(e.topic);
    expect(await e.log.committedOffsets(e.topic, ARCHIVER_GROUP)).toEqual(end);
  });

  it('is idempotent: a second run finds nothing new and changes no file', async () => {
    const e = await env('rerun');
    await appendGenerated(e, workload(12).records);
    await archive({ ...e }, { untilEnd: true, chunkRecords: 100 });
    const before = await e.objects.list(MASTER_PREFIX);
    expect(before.length).toBeGreaterThan(3);

    const again = await archive({ ...e }, { untilEnd: true, chunkRecords: 100 });
    expect(again.records).toBe(0);
    expect(again.files).toBe(0);
    expect(await e.objects.list(MASTER_PREFIX)).toEqual(before);
  });

  it('a crash between storing files and storing the watermarks makes no hour complete; the retry rewrites those records once', async () => {
    const e = await env('retry');
    const w = workload(13);
    // The first hour and a half archive normally: the first hour is complete.
    const firstPart = w.records.filter((r) => r.record.timestamp < START + 90 * 60_000);
    await appendGenerated(e, firstPart);
    await archive({ ...e }, { untilEnd: true });
    const before = await readArchiveProgress(e.objects);
    expect((await runBatch({ ...e })).buckets).toEqual([START]);
    const filesBefore = (await e.objects.list(MASTER_PREFIX)).length;

    // The rest: the crashed attempt stores its master files, then dies before the progress put.
    await appendGenerated(e, w.records.slice(firstPart.length));
    class CrashBeforeProgress extends LocalObjectStore {
      override async putText(key: string, text: string): Promise<void> {
        if (key === ARCHIVE_PROGRESS_KEY) throw new Error('killed before storing the progress');
        return super.putText(key, text);
      }
    }
    const crashed = archive({ ...e, objects: new CrashBeforeProgress(join(e.dir, 'objects')) }, { untilEnd: true, chunkRecords: 70 });
    await expect(crashed).rejects.toThrow('killed');
    const crashedFiles = (await e.objects.list(MASTER_PREFIX)).length - filesBefore;
    expect(crashedFiles).toBeGreaterThan(0);
    // The stored watermarks are those before the crash: the hours its files fill are not complete.
    expect(await readArchiveProgress(e.objects)).toEqual(before);
    const meanwhile = await runBatch({ ...e });
    expect(meanwhile.buckets).toEqual([START]);
    expect((await readManifest(e.objects))!.horizon).toBe(START + HOUR_MS);

    // Its run order may differ (here: other chunk sizes), so a retry cannot rely on writing the same names.
    const retry = await archive({ ...e }, { untilEnd: true, chunkRecords: 250 });

    expect(retry.removedUncommitted).toBeGreaterThan(0);
    expect(retry.removedUncommitted).toBeLessThanOrEqual(crashedFiles);
    expect((await runBatch({ ...e })).horizon).toBeGreaterThan(START + HOUR_MS);
    const rows = await masterRows(e);
    expect(rows.length).toBe(w.records.length);
    const positions = rows.map((r) => `${r.log_partition}:${r.log_offset}`);
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('keeps files below the committed offset and resumes after them', async () => {
    const e = await env('resume');
    const w = workload(14);
    const half = Math.floor(w.records.length / 2);
    await appendGenerated(e, w.records.slice(0, half));
    const first = await archive({ ...e }, { untilEnd: true });
    await appendGenerated(e, w.records.slice(half));
    const second = await archive({ ...e }, { untilEnd: true });

    expect(second.removedUncommitted).toBe(0);
    expect(first.records + second.records).toBe(w.records.length);
    const keys = (await e.objects.list(MASTER_PREFIX)).map((o) => o.key);
    for (const k of first.fileKeys) expect(keys).toContain(k);
    expect((await masterRows(e)).length).toBe(w.records.length);
  });

  it('following the log, flushes a quiet partition after maxChunkAgeMs and stops on abort', async () => {
    const e = await env('follow');
    const w = workload(15);
    const stop = new AbortController();
    const running = archive({ ...e }, { untilEnd: false, maxChunkAgeMs: 50, signal: stop.signal });
    await appendGenerated(e, w.records);
    const end = await e.log.endOffsets(e.topic);
    await waitFor(
      async () => {
        const committed = await e.log.committedOffsets(e.topic, ARCHIVER_GROUP);
        return [...end].every(([p, o]) => committed.get(p) === o);
      },
      { message: 'archiver commits every partition up to its end offset' },
    );
    stop.abort();
    const result = await running;
    expect(result.valid).toBe(w.records.length);
    expect((await masterRows(e)).length).toBe(w.records.length);
  });

  it('names files after the offsets they hold', () => {
    const key = masterFileKey(Date.UTC(2026, 0, 2, 13), 4, 120, 5_000);
    expect(key).toBe('master/dt=2026-01-02/hour=13/p4-000000000120-000000005000.parquet');
    expect(parseMasterFileKey(key)).toEqual({ key, hour: Date.UTC(2026, 0, 2, 13), partition: 4, firstOffset: 120, lastOffset: 5_000 });
    expect(parseMasterFileKey('master/dt=2026-01-02/hour=13/notes.txt')).toBeUndefined();
  });
});
