import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHourlyCycle } from '../batch/batch-cycle.ts';
import { readManifest } from '../batch/batch-manifest.ts';
import { formatCount, Progress } from '../cli/progress.ts';
import { openAdapters } from '../infra/adapters.ts';
import { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import { loadConfig } from '../shared/config.ts';
import ecommerce from '../examples/ecommerce/pipeline.ts';
import { pipelineConfigOf } from '../shared/compute/define-pipeline.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { HOUR_MS } from '../shared/time/bucket.ts';
import { DEFAULT_SPEED_RETENTION_MS, retireCoveredPanes, RETIRING_NAMESPACE } from '../speed/speed-retention.ts';
import { StreamJob } from '../speed/stream-job.ts';
import { generateWorkload } from '../examples/ecommerce/workload/generator.ts';
import type { Figure, Target } from './figure.ts';

export interface RetentionBenchOptions {
  readonly days: number;
  readonly eventsPerHour: number;
}

export const DEFAULT_RETENTION_BENCH: RetentionBenchOptions = { days: 3, eventsPerHour: 2_000 };

/** The speed store stays flat: its panes at the end are at most this multiple of those at the end of day 1. */
const FLAT_TARGET: Target = { op: '<=', value: 1.25 };

/**
 * The speed store over a multi-day run with the hourly batch (issue "Operate it", item 9), on the
 * embedded services: hour by hour of processing time, the hour's records are appended, the speed
 * layer catches up, the hourly cycle archives and publishes, and the speed layer retires what
 * the batch covers (as `lk speed` does every minute, with its default retention). Reports the
 * speed namespace's panes at the end of each day, next to what it would hold without retirement.
 */
export async function benchSpeedRetention(options: RetentionBenchOptions, log: (line: string) => void): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-bench-retention-'));
  const config = loadConfig({ ...process.env, LK_DATA_DIR: dir }, { pipeline: pipelineConfigOf(ecommerce), services: 'embedded' });
  const pipeline = compilePipeline(config.pipeline);
  const a = await openAdapters(config);
  const db = await DuckDb.open();
  const progress = new Progress();
  try {
    const hours = options.days * 24;
    const start = Date.UTC(2026, 0, 5);
    const w = generateWorkload({ seed: 9, events: hours * options.eventsPerHour, users: 2_000, products: 300, spanMs: hours * HOUR_MS, startTime: start }, pipeline.config);
    log(`retention: ${formatCount(w.records.length)} records over ${options.days} days, the hourly batch and a ${DEFAULT_SPEED_RETENTION_MS / HOUR_MS} h retention`);
    await a.log.ensureTopic(config.topics.events, config.partitions);
    const figures: Figure[] = [];
    let next = 0;
    let retired = 0;
    let dayOne = 0;
    for (let h = 1; h <= hours; h++) {
      const hourEnd = start + h * HOUR_MS;
      const from = next;
      while (next < w.records.length && w.records[next].timestamp < hourEnd) next++;
      await a.log.append(config.topics.events, w.records.slice(from, next).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
      const job = new StreamJob({ log: a.log, views: a.views, pipeline, topics: config.topics }, { namespace: RETIRING_NAMESPACE, groupId: 'lk-speed', from: { kind: 'earliest' }, stopAtEnd: true, sideOutputs: false });
      await (await job.start()).done;
      // The hourly cycle at minute 6 of the next hour, as `lk batch --schedule` runs it.
      await runHourlyCycle({ log: a.log, objects: a.objects, db, pipeline, topic: config.topics.events, workDir: join(dir, 'work'), clock: () => hourEnd + 6 * 60_000 });
      // What lk speed reads every minute: the published manifest's horizon.
      const r = await retireCoveredPanes(a.views, pipeline, (await readManifest(a.objects))?.horizon ?? null, DEFAULT_SPEED_RETENTION_MS);
      retired += r.dropped;
      const held = await paneCount(a.views, pipeline.views.map((v) => v.name));
      progress.update(`retention: hour ${h}/${hours}, speed panes ${formatCount(held)} (${formatCount(retired)} retired)`);
      if (h % 24 === 0) {
        const day = h / 24;
        if (day === 1) dayOne = held;
        progress.done(`retention: day ${day}: speed panes ${formatCount(held)}, without retirement ${formatCount(held + retired)}`);
        figures.push({ name: `retention: speed panes at the end of day ${day}`, value: held, note: `without retirement: ${formatCount(held + retired)}` });
        if (day === options.days && day > 1) figures.push({ name: `retention: speed panes day ${day} / day 1 (flat)`, value: Number((held / dayOne).toFixed(2)), target: FLAT_TARGET });
      }
    }
    return figures;
  } finally {
    await db.close();
    await a.close();
    await rm(dir, { recursive: true, force: true });
  }
}


/** Panes the speed namespace holds over every view. */
async function paneCount(views: ViewStore, names: readonly string[]): Promise<number> {
  let n = 0;
  for (const view of names) n += (await views.queryPanes(RETIRING_NAMESPACE, { view, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })).length;
  return n;
}
