import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAdapters } from '../infra/adapters.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import { loadConfig, type PlatformConfig } from '../shared/config.ts';
import { runKappaReplay } from '../speed/kappa-replay.ts';
import { StreamJob } from '../speed/stream-job.ts';
import { generateWorkload } from '../workload/generator.ts';

/**
 * The streaming runners end to end on the configured adapters (embedded by default; `--services
 * real` uses Kafka and PostgreSQL): append N records, then the speed layer from the log into the
 * view store, then a Kappa replay of the same records into a new version.
 */
export async function benchStream(events: number, config?: PlatformConfig): Promise<Record<string, number | string>> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-bench-'));
  const cfg = config ?? loadConfig({ ...process.env, LK_DATA_DIR: dir, LK_TOPIC: `bench-${Date.now()}` });
  const pipeline = compilePipeline(cfg.pipeline);
  const a = await openAdapters(cfg);
  try {
    await a.log.ensureTopic(cfg.topics.events, cfg.partitions);
    const w = generateWorkload({ seed: 3, events, users: 20_000, products: 2_000, spanMs: 4 * 3_600_000 }, pipeline.config);
    const t0 = performance.now();
    for (let i = 0; i < w.records.length; i += 10_000) {
      await a.log.append(cfg.topics.events, w.records.slice(i, i + 10_000).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    }
    const appendS = (performance.now() - t0) / 1000;
    const deps = { log: a.log, views: a.views, pipeline, topics: cfg.topics };
    const speed = new StreamJob(deps, { namespace: 'bench_speed', from: { kind: 'earliest' }, stopAtEnd: true });
    const t1 = performance.now();
    await (await speed.start()).done;
    const speedS = (performance.now() - t1) / 1000;
    const replay = await runKappaReplay(deps, { cutOver: false });
    await a.views.dropNamespace('bench_speed');
    await a.views.dropNamespace(replay.namespace);
    return {
      services: `${cfg.log.kind} log, ${cfg.viewStore.kind} views`,
      events,
      'append events/s': Math.round(events / appendS),
      'speed layer (log -> views) events/s': Math.round(events / speedS),
      'kappa replay events/s': replay.eventsPerSecond,
    };
  } finally {
    await a.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(await benchStream(Number(process.argv[2] ?? 1_000_000)));
