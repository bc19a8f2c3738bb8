import { setTimeout as sleep } from 'node:timers/promises';
import { formatCount, Progress } from '../cli/progress.ts';
import { openAdapters } from '../infra/adapters.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import { LkError } from '../shared/errors.ts';
import { generateWorkload } from '../examples/ecommerce/workload/generator.ts';
import { differingViews } from './differing-views.ts';
import type { Figure } from './figure.ts';
import { groupLag } from './group-lag.ts';
import { LkProcess } from './lk-process.ts';

export interface ScaleOutOptions {
  /** Records appended once; every run reads them all. */
  readonly events: number;
  /** The events topic's partitions: the most `lk speed` processes of one group that get work. */
  readonly partitions: number;
  /** How many `lk speed` processes each run starts (one consumer group per run). */
  readonly instances: readonly number[];
}

export const DEFAULT_SCALE_OUT: Omit<ScaleOutOptions, 'instances'> & { readonly instances: string } = { events: 600_000, partitions: 6, instances: '1,2,3' };

/** How often the group's lag is read while the processes run. */
const SAMPLE_MS = 250;
/** A run that has not caught up by then is reported as failed. */
const RUN_TIMEOUT_MS = 600_000;
/** Records per append call (the adapter splits them into requests). */
const APPEND_RECORDS = 10_000;
/** How far back the workload starts: recent, so a broker's time-based retention keeps it. */
const SPAN_MS = 4 * 3_600_000;

/**
 * Scale-out of the speed layer as a user would do it: one topic of `partitions` partitions filled
 * once with `events` records of the reference workload; then for each k in `instances`, k
 * `lk speed` processes in one consumer group (namespace scale_k<k>_<i>, side outputs off) build
 * their views from the start of the topic, timed from the first one's start (the others start
 * once it consumes) until the group's stored checkpoints reach the end offsets; then they are
 * stopped. Every run's views must equal the first run's.
 */
export async function benchScaleOut(config: PlatformConfig, env: Readonly<Record<string, string | undefined>>, o: ScaleOutOptions, runId: string): Promise<Figure[]> {
  const progress = new Progress();
  const topic = config.topics.events;
  const pipeline = compilePipeline(config.pipeline);
  const a = await openAdapters(config);
  const childEnv = { ...env, LK_TOPIC: topic, LK_PARTITIONS: String(o.partitions) };
  const figures: Figure[] = [];
  const namespaces: string[] = [];
  let running: LkProcess[] = [];
  try {
    const partitions = await a.log.ensureTopic(topic, o.partitions);
    if (partitions !== o.partitions) throw new LkError(`topic ${topic} already has ${partitions} partitions, not ${o.partitions}: the run's topic must be new`);
    progress.done(`scale-out: generating ${formatCount(o.events)} records (not timed)`);
    const w = generateWorkload({ seed: 3, events: o.events, users: 20_000, products: 2_000, spanMs: SPAN_MS, startTime: Date.now() - SPAN_MS - 60_000 }, pipeline.config);
    for (let i = 0; i < w.records.length; i += APPEND_RECORDS) {
      await a.log.append(topic, w.records.slice(i, i + APPEND_RECORDS).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
      progress.update(`scale-out: appended ${formatCount(Math.min(i + APPEND_RECORDS, o.events))} / ${formatCount(o.events)} records`);
    }
    w.records.length = 0;
    const end = await a.log.endOffsets(topic);
    progress.done(`scale-out: ${formatCount(o.events)} records in ${partitions} partitions`);

    for (const k of o.instances) {
      const namespace = `scale_k${k}_${namespaces.length}`;
      namespaces.push(namespace);
      // Made before the processes start, so k of them do not race to create it.
      await a.views.ensureNamespace(namespace);
      const t0 = performance.now();
      const start = () => new LkProcess(['speed', '--namespace', namespace, '--group', `lk-bench-scale-${runId}-${namespace}`, '--no-side-outputs'], childEnv);
      // The first member alone, then the others: members of a new group started at the same moment
      // race to claim its start offsets from outside it, and the loser exits ("committing offsets
      // ... did not take"; infra/kafka/kafka-log.ts #claimGroupStart). A group that is live is joined as it is.
      running = [start()];
      await running[0].waitFor(/^speed: consuming/, 120_000);
      running.push(...Array.from({ length: k - 1 }, start));
      await Promise.all(running.slice(1).map((p) => p.waitFor(/^speed: consuming/, 120_000)));
      const startedS = (performance.now() - t0) / 1000;
      // The first member has been reading while the others started: the rate from here is over what was left.
      const leftAtStart = groupLag(end, await a.views.checkpoints(namespace));
      for (;;) {
        const lag = groupLag(end, await a.views.checkpoints(namespace));
        if (lag === 0) break;
        for (const p of running) if (!p.running) throw new LkError(`an lk speed process of the ${k}-instance run exited early; its output ends with:\n${p.tail()}`);
        if (performance.now() - t0 > RUN_TIMEOUT_MS) throw new LkError(`the ${k}-instance run did not catch up within ${RUN_TIMEOUT_MS / 1000} s (lag ${lag})`);
        progress.update(`scale-out: ${k} x lk speed, lag ${formatCount(lag)}`);
        await sleep(SAMPLE_MS);
      }
      const wallS = (performance.now() - t0) / 1000;
      const cpu = await Promise.all(running.map((p) => p.cpuSeconds()));
      const exits = await Promise.all(running.map((p) => p.stop()));
      if (exits.some((c) => c !== 0)) throw new LkError(`an lk speed process of the ${k}-instance run exited with ${exits.join(', ')} instead of stopping cleanly`);
      running = [];
      const cpuNote = cpu.every((c) => c !== undefined) ? `CPU-s per process ${cpu.map((c) => c.toFixed(1)).join(', ')}` : 'CPU-s not readable (no /proc)';
      progress.done(`scale-out: ${k} x lk speed caught up in ${wallS.toFixed(1)} s`);
      figures.push({
        name: `scale-out: ${k} x lk speed, one group, ${partitions} partitions`,
        value: Math.round(o.events / wallS),
        unit: 'events/s',
        note: `${formatCount(o.events)} records in ${wallS.toFixed(1)} s wall from spawn (all consuming after ${startedS.toFixed(1)} s, ${formatCount(leftAtStart)} records left: ${formatCount(leftAtStart / Math.max(0.001, wallS - startedS))}/s from then); ${cpuNote}`,
      });
    }
    const differing: string[] = [];
    for (const ns of namespaces.slice(1)) {
      const views = await differingViews(a, pipeline, namespaces[0], ns);
      if (views.length > 0) differing.push(`${ns}: ${views.join(', ')}`);
    }
    figures.push({ name: 'scale-out: views equal the first run', value: differing.length === 0 ? 'yes' : `no: ${differing.join('; ')}`, note: `every window of every view, ${namespaces.join(' vs ')}` });
    return figures;
  } finally {
    for (const p of running) await p.stop().catch(() => undefined);
    for (const ns of namespaces) await a.views.dropNamespace(ns).catch(() => undefined);
    await a.close();
  }
}
