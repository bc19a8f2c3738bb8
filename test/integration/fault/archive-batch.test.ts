import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHIVER_GROUP } from '../../../batch/archiver.ts';
import { parseManifest } from '../../../batch/batch-manifest.ts';
import { BatchViewReader } from '../../../batch/batch-view-reader.ts';
import { MASTER_PREFIX } from '../../../batch/master-dataset.ts';
import { parquetSource } from '../../../batch/parquet-source.ts';
import { DuckDb } from '../../../infra/duckdb/duckdb-database.ts';
import { QueryService } from '../../../serving/query-service.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import { validateRecord } from '../../support/ecommerce.ts';
import { Random } from '../../../workload/random.ts';
import { postgresOrSkip } from '../../support/services.ts';
import { waitFor } from '../../support/wait-for.ts';
import { sleep, useFaultKafka } from './support/fault-services.ts';
import { openFaultRun, type FaultRun } from './support/fault-run.ts';
import { ManifestRecorder } from './support/manifest-recorder.ts';
import { readTopic } from './support/side-outputs-check.ts';
import { chunks, workloadLines } from './support/workload-lines.ts';

/**
 * Part 4 of the fault-injection suite: the Lambda batch path. `lk archive` and `lk batch` run as
 * child processes and are SIGKILLed at seeded moments, then restarted until a run completes.
 * Afterwards the master dataset holds each valid record of the log exactly once (read with
 * DuckDB), and serving, polled in this process while the batch jobs ran and died, only ever
 * answered what one published manifest holds: never a batch half published.
 */

const PARTITIONS = 3;
/** The views polled: one of fixed windows, the sessions. */
const POLLED_VIEWS = ['product_activity', 'user_sessions'];

const faultKafka = useFaultKafka();


/**
 * Runs `lk <args>` `kills` times, SIGKILLing each at a seeded moment, then once more to completion;
 * returns how many were still running when killed. A run takes well under a second here, so half
 * of the kills come at a random moment of the start and half once it reports progress (reading the
 * log, writing files, committing, publishing), a random moment up to `maxDelayMs` later.
 */
async function killedThenCompleted(run: FaultRun, args: readonly string[], rng: Random, kills: number, maxDelayMs = 300): Promise<number> {
  let killedMidRun = 0;
  for (let i = 0; i < kills; i++) {
    const p = run.lk(args);
    if (rng.chance(0.5)) await Promise.race([sleep(rng.int(100, 700)), p.exited]);
    else {
      const delayMs = rng.int(0, maxDelayMs);
      await p.waitFor(new RegExp(`^${args[0]}: `), 60_000).catch(() => undefined);
      await Promise.race([sleep(delayMs), p.exited]);
    }
    if (p.running) killedMidRun++;
    else expect(await p.exited, p.tail()).toBe(0);
    await p.kill('SIGKILL');
  }
  const last = run.lk(args);
  expect(await last.exited, `lk ${args.join(' ')} after ${kills} kills; its output ends with:\n${last.tail()}`).toBe(0);
  return killedMidRun;
}

/** Windows as plain data in a canonical order. */
function plainWindows(windows: ReadonlyArray<{ key: string; start: number; end: number; acc: readonly number[] }>) {
  return windows.map(({ key, start, end, acc }) => ({ key, start, end, acc: [...acc] })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start || a.end - b.end));
}

describe('fault injection: lk archive and lk batch SIGKILLed and restarted', () => {
  it('the master dataset holds each valid record once, and serving never shows a half-published batch', async (ctx) => {
    // A private broker for the short sessions: a run killed during its offset commit leaves a group member behind until its session expires.
    const kafka = faultKafka();
    if (!kafka.ok) return ctx.skip(kafka.reason);
    const pg = postgresOrSkip(ctx);
    const run = await openFaultRun({ brokers: kafka.service.brokers, databaseUrl: pg.url, partitions: PARTITIONS, name: 'batch' });
    const adapters = await run.adapters();
    const db = await DuckDb.open();
    try {
      const { config, pipeline } = run;
      const rng = new Random(4404);
      // Three hours of events in two halves: the second batch publishes more buckets than the first.
      const halves = chunks(workloadLines(4404, 8_000, pipeline.config, 3 * 3_600_000), 2);
      const ingestHalf = async (i: number) => {
        const file = join(config.dataDir, `half-${i}.jsonl`);
        await writeFile(file, halves[i]);
        const p = run.lk(['ingest', '--input', file]);
        expect(await p.exited, p.tail()).toBe(0);
      };

      await ingestHalf(0);
      // A broker's group coordinator answers NOT_COORDINATOR until its offsets topic is loaded (the
      // first group use on a fresh broker), and lk archive gives up on it: wait for it here, so the
      // kills below are what the test is about.
      await waitFor(() => adapters.log.committedOffsets(config.topics.events, ARCHIVER_GROUP).then(() => true, () => false), { timeoutMs: 60_000, intervalMs: 500 });
      let archivesKilled = await killedThenCompleted(run, ['archive'], rng, 4);
      const first = run.lk(['batch']);
      expect(await first.exited, first.tail()).toBe(0);
      await ingestHalf(1);
      archivesKilled += await killedThenCompleted(run, ['archive'], rng, 4);

      // Serving, in this process, polled while lk batch runs, dies and runs again.
      const recorder = new ManifestRecorder(adapters.objects);
      const reader = new BatchViewReader({ objects: recorder, db, pipeline });
      const service = new QueryService({ pipeline, viewStore: adapters.views, batch: reader });
      const answers = { polls: 0, manifests: new Set<string>() };
      const inconsistent: string[] = [];
      let polling = true;
      let batchesKilled = 0;
      const poller = (async () => {
        while (polling) {
          for (const name of POLLED_VIEWS) {
            const view = pipeline.view(name);
            recorder.take();
            const served = await service.mergedWindows({ view: name, mode: 'batch', from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
            const read = recorder.take().map(parseManifest);
            // The answer must be exactly what one of the manifests it read publishes.
            const candidates = await Promise.all(
              read.map(async (m) => plainWindows(mergePanes(view, (await reader.panes({ view: name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER, maxBucket: m.horizon ?? undefined }, m)).map((pane) => ({ pane, tag: 'batch' as const }))))),
            );
            const got = JSON.stringify(plainWindows(served.windows));
            if (!candidates.some((c) => JSON.stringify(c) === got)) inconsistent.push(`${name}: an answer of ${served.windows.length} windows matches none of the ${read.length} manifests it read (runs ${read.map((m) => m.runId).join(', ')})`);
            answers.polls++;
            for (const m of read) answers.manifests.add(m.runId);
          }
          await sleep(50);
        }
      })();
      try {
        // --from recomputes every complete hour each time: a run with nothing stale ends before any kill (lk starts faster than it did).
        // Its first progress line comes after the first of several hours: a kill soon after lands before the publish.
        batchesKilled = await killedThenCompleted(run, ['batch', '--from', '0'], rng, 8, 20);
      } finally {
        polling = false;
        await poller;
      }
      expect(inconsistent).toEqual([]);
      // The poller saw the first publish and the last one at least.
      expect(answers.manifests.size).toBeGreaterThanOrEqual(2);
      expect(archivesKilled).toBeGreaterThanOrEqual(2);
      expect(batchesKilled).toBeGreaterThanOrEqual(2);

      // Each valid record of the log once in the master dataset, by its log position.
      const valid = new Set<string>();
      for (const r of await readTopic(adapters.log, config.topics.events)) if (validateRecord(r.value, r.timestamp, pipeline.config.limits).ok) valid.add(`${r.partition}:${r.offset}`);
      const files = await Promise.all((await adapters.objects.list(MASTER_PREFIX)).map((o) => adapters.objects.localPath(o.key)));
      const rows = await db.all<{ p: number; o: bigint; n: bigint }>(`SELECT log_partition AS p, log_offset AS o, count(*) AS n FROM ${parquetSource(files)} GROUP BY ALL`);
      expect(rows.filter((r) => r.n !== 1n).map((r) => `${r.p}:${r.o} x${r.n}`)).toEqual([]);
      expect(new Set(rows.map((r) => `${r.p}:${r.o}`))).toEqual(valid);
      console.log(`[fault] batch: ${archivesKilled} lk archive and ${batchesKilled} lk batch runs killed mid-run; ${answers.polls} answers polled over ${answers.manifests.size} manifests; ${valid.size} valid records archived once`);
    } finally {
      await db.close();
      await adapters.close();
      await run.cleanup();
    }
  });
});
