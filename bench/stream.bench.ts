import { openAdapters } from '../infra/adapters.ts';
import { formatCount, Progress } from '../cli/progress.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import { LkError } from '../shared/errors.ts';
import type { EventLog, RecordBatch } from '../shared/ports/event-log.ts';
import { runKappaReplay } from '../speed/kappa-replay.ts';
import { StreamJob } from '../speed/stream-job.ts';
import { generateWorkload } from '../examples/ecommerce/workload/generator.ts';
import type { Figure, Target } from './figure.ts';

export interface StreamBenchOptions {
  readonly events: number;
  /** Names the consumer group of the speed-layer run, so runs against a shared broker never collide. */
  readonly runId: string;
  /** Hold the figures to the issue's targets (they are stated for Kafka and PostgreSQL). */
  readonly targets: boolean;
}

/** Issue 3's targets on the 2-core machine. */
export const SPEED_TARGET: Target = { op: '>=', value: 100_000 };
export const REPLAY_TARGET: Target = { op: '>=', value: 150_000 };

/** Records per append call: the producer's unit of work (the adapter splits it into requests). */
const APPEND_RECORDS = 10_000;
/** The batch size `lk speed` and the replay use (StreamJob's default), so the ceiling reads alike. */
const CONSUME_BATCH = 5_000;
/** How far back the workload starts: recent, so a broker's time-based retention (7 days) keeps it. */
const SPAN_MS = 4 * 3_600_000;

/**
 * The streaming runners end to end on the configured adapters, all on one topic of N records:
 * the producer (append through the EventLog port), the consume ceiling through the same port
 * (counting records, then counting and JSON.parse-ing them: what any consumer of the port can
 * get at best), the speed layer as `lk speed` runs it (a consumer group, from the committed
 * offsets, here to the end) into the view store, and a Kappa replay of the same records into a
 * new version. Each figure includes the step's start-up (group join, namespace creation).
 */
export async function benchStream(config: PlatformConfig, options: StreamBenchOptions): Promise<Figure[]> {
  const { events } = options;
  const pipeline = compilePipeline(config.pipeline);
  const progress = new Progress();
  const where = `${config.log.kind === 'kafka' ? 'Kafka' : 'embedded log'} -> ${config.viewStore.kind === 'postgres' ? 'PostgreSQL' : 'DuckDB'} views`;
  const figures: Figure[] = [];
  const a = await openAdapters(config);
  try {
    const topic = config.topics.events;
    await a.log.ensureTopic(topic, config.partitions);
    progress.done(`stream: generating ${formatCount(events)} records (not timed)`);
    const w = generateWorkload({ seed: 3, events, users: 20_000, products: 2_000, spanMs: SPAN_MS, startTime: Date.now() - SPAN_MS - 60_000 }, pipeline.config);

    const produce = await timed(async () => {
      for (let i = 0; i < w.records.length; i += APPEND_RECORDS) {
        await a.log.append(topic, w.records.slice(i, i + APPEND_RECORDS).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
        progress.update(`produce: ${formatCount(i + APPEND_RECORDS)} / ${formatCount(events)} records`);
      }
    });
    progress.done(`produce: ${formatCount(events)} records in ${produce.s.toFixed(1)} s`);
    figures.push(rate(`producer (append via EventLog, ${config.log.kind === 'kafka' ? 'acks=all' : 'embedded'})`, events, produce));
    w.records.length = 0;

    for (const parse of [false, true]) {
      const label = parse ? 'count + JSON.parse' : 'count only';
      let n = 0;
      let bad = 0;
      const consumed = await timed(() =>
        drain(a.log, topic, (batch) => {
          n += batch.records.length;
          if (parse) {
            for (const r of batch.records) {
              try {
                JSON.parse(r.value);
              } catch {
                bad++;
              }
            }
          }
          progress.update(`consume (${label}): ${formatCount(n)} / ${formatCount(events)} records`);
        }),
      );
      progress.done(`consume (${label}): ${formatCount(n)} records in ${consumed.s.toFixed(1)} s${parse ? ` (${bad} not JSON)` : ''}`);
      figures.push(rate(`consume ceiling via EventLog, ${label}`, n, consumed, n === events ? undefined : `read ${formatCount(n)} of ${formatCount(events)}`));
    }

    const deps = { log: a.log, views: a.views, pipeline, topics: config.topics };
    const speed = new StreamJob(deps, {
      namespace: 'bench_speed',
      groupId: `lk-bench-speed-${options.runId}`,
      from: { kind: 'earliest' },
      stopAtEnd: true,
      onCommit: (p) => progress.update(`speed layer: ${formatCount(p.records)} / ${formatCount(events)} records`),
    });
    const speedRun = await timed(async () => (await speed.start()).done);
    progress.done(`speed layer: ${formatCount(speed.records)} records in ${speedRun.s.toFixed(1)} s`);
    figures.push(rate(`speed layer (lk speed's StreamJob), ${where}`, speed.records, speedRun, checkCount(speed.records, events), options.targets ? SPEED_TARGET : undefined));
    await a.views.dropNamespace('bench_speed');

    let replayed: { records: number; namespace: string } | undefined;
    const replayRun = await timed(async () => {
      replayed = await runKappaReplay(deps, { cutOver: false, onProgress: (p) => progress.update(`Kappa replay: ${formatCount(p.records)} / ${formatCount(events)} records`) });
    });
    progress.done(`Kappa replay: ${formatCount(replayed!.records)} records in ${replayRun.s.toFixed(1)} s`);
    figures.push(rate(`Kappa replay (runKappaReplay), ${where}`, replayed!.records, replayRun, checkCount(replayed!.records, events), options.targets ? REPLAY_TARGET : undefined));
    await a.views.dropNamespace(replayed!.namespace);
    return figures;
  } finally {
    await a.close();
  }
}

/** Reads the topic from the start to its current end through the port, without a group. */
async function drain(log: EventLog, topic: string, onBatch: (batch: RecordBatch) => void): Promise<void> {
  const sub = await log.consume({
    topic,
    from: { kind: 'earliest' },
    stopAtEnd: true,
    maxBatchRecords: CONSUME_BATCH,
    onBatch: async (batch) => onBatch(batch),
  });
  await sub.done;
}

interface Timing {
  /** Wall seconds. */
  readonly s: number;
  /** CPU seconds of this process (user + system). */
  readonly cpuS: number;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { s: (performance.now() - t0) / 1000, cpuS: (used.user + used.system) / 1e6 };
}

function rate(name: string, records: number, t: Timing, note?: string, target?: Target): Figure {
  const digits = t.s < 10 ? 2 : 1;
  const cpu = `${t.s.toFixed(digits)} s wall, ${t.cpuS.toFixed(digits)} CPU-s in the bench process`;
  return { name, value: Math.round(records / t.s), unit: 'events/s', target, note: note ? `${note}; ${cpu}` : cpu };
}

/** A runner that read fewer records than were appended measured something else: say so next to the figure. */
function checkCount(read: number, appended: number): string | undefined {
  if (read === appended) return undefined;
  if (read === 0) throw new LkError(`the runner read no records of the ${appended} appended: check the broker's log (retention, topic) and rerun`);
  return `read ${formatCount(read)} of ${formatCount(appended)} records`;
}
