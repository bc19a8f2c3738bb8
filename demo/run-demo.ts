import { join } from 'node:path';
import { archive } from '../batch/archiver.ts';
import { runBatch } from '../batch/batch-job.ts';
import { BatchViewReader } from '../batch/batch-view-reader.ts';
import { buildComparisonReport, type ComparisonReport, type ModeName, type ModeResult } from '../compare/comparison-report.ts';
import { groundTruthFromLog } from '../compare/ground-truth.ts';
import { openAdapters } from '../infra/adapters.ts';
import { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import { BadRequestError } from '../shared/errors.ts';
import { LatencyHistogram, type LatencySummary } from '../shared/metrics/latency-histogram.ts';
import type { AppendRecord, EventLog } from '../shared/ports/event-log.ts';
import { QueryService } from '../serving/query-service.ts';
import { startHttpServer, type HttpServer } from '../serving/http-server.ts';
import { KAPPA_ALIAS, runKappaReplay, type ReplayResult } from '../speed/kappa-replay.ts';
import { StreamJob } from '../speed/stream-job.ts';
import { streamWorkload } from '../workload/generator.ts';
import { recordKey } from '../workload/record-key.ts';
import { readLines } from '../workload/read-lines.ts';
import type { WorkloadOptions } from '../workload/workload-options.ts';
import { waitUntilCaughtUp } from './caught-up.ts';
import { prepareDemoDataDir } from './demo-data-dir.ts';
import { refuseDataOfEarlierRuns, runDataBanner, runDataNames, runDataNotice } from './demo-run-data.ts';

export interface DemoOptions {
  readonly workload: Partial<WorkloadOptions>;
  /** Bring your own JSON lines instead of generating. */
  readonly input?: string;
  /** Records appended per second while the streaming jobs run live (freshness is measured under this load). */
  readonly ratePerSecond: number;
  /** Leave the data dir as it is instead of starting from an empty one. */
  readonly keepData: boolean;
  readonly port: number;
  readonly progress: (line: string, final?: boolean) => void;
}

/** Timings and costs of each step (wall ms and CPU ms of this process). */
export interface StepCost {
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface DemoResult {
  readonly report: ComparisonReport;
  readonly freshness: {
    readonly method: string;
    readonly lambdaSpeed: LatencySummary;
    readonly kappa: LatencySummary;
    readonly batch: LatencySummary;
  };
  readonly backfill: ReplayResult & { readonly cpuMs: number };
  readonly steps: Readonly<Record<string, StepCost>>;
  readonly batchHorizon: string | null;
  /**
   * The comparison of the windows ending at or before the batch horizon (null before the first
   * complete hour): where Lambda is the batch layer's, it must equal the truth exactly; above the
   * horizon Lambda is the speed layer, which misses the too-late events.
   */
  readonly belowHorizon: ComparisonReport | null;
  /**
   * Where this run's data stays on the real services (the topic, schema and prefix it used) and
   * how to reach or remove it; empty on embedded services.
   */
  readonly data: readonly string[];
  readonly url: string;
  readonly server: HttpServer;
  close(): Promise<void>;
}

async function measure<T>(steps: Record<string, StepCost>, name: string, fn: () => Promise<T>): Promise<T> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  try {
    return await fn();
  } finally {
    const used = process.cpuUsage(cpu);
    steps[name] = { wallMs: Math.round(performance.now() - wall), cpuMs: Math.round((used.user + used.system) / 1000) };
  }
}

/**
 * The demo: one workload through every architecture, then the comparison.
 *
 * 1. Two streaming jobs run live while the records are appended at a steady rate: the Lambda
 *    speed layer (namespace `speed`) and the Kappa job (namespace `kappa_v1`, the alias `kappa`).
 *    Freshness = commit of the view-store transaction that made a record's windows visible minus
 *    the record's append time, per record.
 * 2. Lambda's batch layer archives the log into the master dataset and recomputes every bucket;
 *    batch freshness = publish time minus append time (with an hourly schedule, add up to an hour).
 * 3. A Kappa backfill replays the whole log into `kappa_v2` and cuts over: its time and CPU are the
 *    backfill cost.
 * 4. Every mode is read through the serving layer and compared with the ground truth.
 */
export async function runDemo(config: PlatformConfig, options: DemoOptions): Promise<DemoResult> {
  const say = options.progress;
  // Each embedded port keeps its data in the data dir: a fresh run starts from an empty one.
  const embedded = config.log.kind === 'embedded' || config.objectStore.kind === 'local' || config.viewStore.kind === 'duckdb';
  if (!options.keepData && embedded) await prepareDemoDataDir(config.dataDir);
  const pipeline = compilePipeline(config.pipeline);
  const adapters = await openAdapters(config);
  const db = await DuckDb.open();
  const steps: Record<string, StepCost> = {};
  const topics = config.topics;
  const { log, views, objects } = adapters;
  let server: HttpServer | undefined;
  try {
    // The real services are shared with earlier runs: this run's names must hold nothing yet.
    const names = runDataNames(config);
    if (names.length > 0) {
      if (!options.keepData) await refuseDataOfEarlierRuns(config, names, adapters);
      say(runDataBanner(config, names), true);
    }
    await log.ensureTopic(topics.events, config.partitions);
    const deps = { log, views, pipeline, topics };
    // A run's consumer groups are its own too: `lk-speed` may be the group of a running `lk speed`
    // (docker compose), which the demo's member would join and rebalance.
    const group = (name: string) => (config.scope.runId === null ? `lk-${name}` : `${config.scope.runId}-${name}`);
    const speed = new StreamJob(deps, { namespace: 'speed', groupId: group('speed'), from: { kind: 'earliest' } });
    // Both jobs see the same records; only one writes the dead-letter and late topics.
    const kappa = new StreamJob(deps, { namespace: 'kappa_v1', groupId: group('kappa_v1'), from: { kind: 'earliest' }, sideOutputs: false });
    await views.ensureNamespace('kappa_v1');
    await views.setAlias(KAPPA_ALIAS, 'kappa_v1');
    const running = [await speed.start(), await kappa.start()];

    // 1. Live ingest at a steady rate.
    const generated = await measure(steps, 'ingest+stream', async () => {
      const source = options.input ? linesAsRecords(readLines(options.input)) : generatedRecords(options.workload, config);
      const n = await appendPaced(log, topics.events, source, options.ratePerSecond, (sent) =>
        say(`ingest: ${sent.toLocaleString('en-US')} records appended; speed at ${speed.records.toLocaleString('en-US')}, kappa at ${kappa.records.toLocaleString('en-US')}`),
      );
      await waitUntilCaughtUp(log, topics.events, [speed, kappa]);
      return n;
    });
    for (const r of running) await r.stop();
    say(`stream: ${generated.toLocaleString('en-US')} records ${options.input ? 'read and ' : ''}appended and processed live by the speed layer and the Kappa job`, true);

    // 2. Lambda batch layer.
    const archived = await measure(steps, 'archive', () =>
      archive({ log, objects, db, pipeline, topic: topics.events, workDir: join(config.dataDir, 'work') }, { untilEnd: true }),
    );
    say(`archive: ${archived.valid.toLocaleString('en-US')} valid events into ${archived.files} master files (${archived.invalid} invalid skipped)`, true);
    const batch = await measure(steps, 'batch', () =>
      runBatch({ objects, db, pipeline, workDir: join(config.dataDir, 'work'), onProgress: (p) => say(`batch: hour ${p.bucketsDone}/${p.bucketsTotal}`) }, { buckets: 'all', stragglerDelayMs: config.batch.stragglerDelayMs }),
    );
    const publishedAt = Date.now();
    say(`batch: ${batch.buckets.length} complete hours recomputed from ${batch.rows.toLocaleString('en-US')} master rows in ${(batch.elapsedMs / 1000).toFixed(2)} s and published${batch.incomplete.length > 0 ? `; ${batch.incomplete.length} hour${batch.incomplete.length === 1 ? '' : 's'} still open (the speed layer serves ${batch.incomplete.length === 1 ? 'it' : 'them'})` : ''}`, true);
    const batchFreshness = await appendToPublish(log, topics.events, publishedAt);

    // 3. Kappa backfill + cut-over.
    const cpu = process.cpuUsage();
    const backfill = await measure(steps, 'kappa-backfill', () =>
      runKappaReplay(deps, { onProgress: (p) => say(`kappa backfill: ${p.records.toLocaleString('en-US')} records into the new version`) }),
    );
    const used = process.cpuUsage(cpu);
    say(`kappa backfill: ${backfill.records.toLocaleString('en-US')} records into ${backfill.namespace} in ${(backfill.elapsedMs / 1000).toFixed(2)} s (${backfill.eventsPerSecond.toLocaleString('en-US')} events/s); serving cut over from ${backfill.previous}`, true);

    // 4. Serve, read every mode, compare with the truth.
    const reader = new BatchViewReader({ objects, db, pipeline });
    const service = new QueryService({ pipeline, viewStore: views, batch: reader });
    server = await startHttpServer(service, { host: config.serving.host, port: options.port });
    const truth = await measure(steps, 'ground-truth', () => groundTruthFromLog(pipeline, log, topics.events));
    if (truth.counts.events === 0) {
      // Nothing to compare: every mode would answer "nothing published", which blames the wrong step.
      throw new BadRequestError(
        options.input ? '--input' : '--events',
        `${options.input ? 'the input' : 'the workload'} had no valid record (${truth.counts.records.toLocaleString('en-US')} read, ${truth.counts.invalid.toLocaleString('en-US')} invalid; see the README's event model); nothing to compare`,
      );
    }
    const range = rangeOf(Object.values(truth.views).flat());
    const modes: Partial<Record<ModeName, ModeResult>> = {};
    const freshnessOf: Record<ModeName, LatencySummary | null> = {
      lambda: speed.freshness.summary(),
      speed: speed.freshness.summary(),
      kappa: kappa.freshness.summary(),
      batch: batchFreshness.summary(),
    };
    // Batch alone has nothing to show before the first complete hour (the log is still in it).
    const published = (await reader.horizon()) !== null;
    for (const mode of published ? (['lambda', 'kappa', 'batch', 'speed'] as const) : (['lambda', 'kappa', 'speed'] as const)) {
      const windows: Record<string, readonly MergedWindow[]> = {};
      for (const v of pipeline.views) {
        const answer = await service.mergedWindows({ view: v.name, from: range.from, to: range.to, mode });
        windows[v.name] = answer.windows;
      }
      modes[mode] = { windows, freshness: freshnessOf[mode] };
    }
    const totals = speed.totals();
    const report = buildComparisonReport({ pipeline, truth, modes, tooLate: totals.tooLate, generated, source: options.input ? 'read' : 'generated' });
    const horizon = await reader.horizon();
    const below = <W extends { readonly end: number }>(byView: Readonly<Record<string, readonly W[]>>) =>
      Object.fromEntries(Object.entries(byView).map(([v, ws]) => [v, ws.filter((w) => horizon !== null && w.end <= horizon)]));
    const belowHorizon =
      horizon === null
        ? null
        : buildComparisonReport({
            pipeline,
            truth: { ...truth, views: below(truth.views) },
            modes: Object.fromEntries(Object.entries(modes).map(([m, r]) => [m, { ...r, windows: below(r.windows) }])),
            tooLate: totals.tooLate,
            generated,
            source: options.input ? 'read' : 'generated',
          });
    return {
      report,
      freshness: {
        method:
          'per record: time its windows became visible to queries minus its append time to the log. Stream modes: the view-store commit after processing it, under a steady ingest of ' +
          `${options.ratePerSecond} records/s. Batch: the publish of the batch run that included it (this demo runs the batch once after ingest; on an hourly schedule add up to an hour).`,
        lambdaSpeed: speed.freshness.summary(),
        kappa: kappa.freshness.summary(),
        batch: batchFreshness.summary(),
      },
      backfill: { ...backfill, cpuMs: Math.round((used.user + used.system) / 1000) },
      steps,
      batchHorizon: horizon === null ? null : new Date(horizon).toISOString(),
      belowHorizon,
      data: runDataNotice(config, names),
      url: server.url,
      server,
      close: async () => {
        await server?.close();
        await db.close();
        await adapters.close();
      },
    };
  } catch (err) {
    await server?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    await adapters.close();
    throw err;
  }
}

function* generatedRecords(workload: Partial<WorkloadOptions>, config: PlatformConfig): Generator<Omit<AppendRecord, 'timestamp'>> {
  // Event times end now, so the demo looks like live traffic; append times are the real ones.
  const spanMs = workload.spanMs ?? 2 * 3_600_000;
  const it = streamWorkload({ startTime: Date.now() - spanMs, ...workload, spanMs }, config.pipeline);
  for (let s = it.next(); !s.done; s = it.next()) yield { key: s.value.key, value: s.value.value };
}

async function* linesAsRecords(lines: AsyncIterable<string>): AsyncGenerator<Omit<AppendRecord, 'timestamp'>> {
  for await (const line of lines) if (line.trim() !== '') yield { key: recordKey(line), value: line };
}

/** Appends records at about `rate` per second (in 20 ms slices), stamped with the real append time. */
async function appendPaced(
  log: EventLog,
  topic: string,
  source: Iterable<Omit<AppendRecord, 'timestamp'>> | AsyncIterable<Omit<AppendRecord, 'timestamp'>>,
  rate: number,
  onProgress: (sent: number) => void,
): Promise<number> {
  const sliceMs = 20;
  const perSlice = Math.max(1, Math.round((rate * sliceMs) / 1000));
  const started = performance.now();
  let sent = 0;
  let slice: AppendRecord[] = [];
  const flush = async () => {
    const now = Date.now();
    await log.append(topic, slice.map((r) => ({ ...r, timestamp: now })));
    sent += slice.length;
    slice = [];
    onProgress(sent);
    const due = started + (sent / rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  for await (const r of source) {
    slice.push(r);
    if (slice.length >= perSlice) await flush();
  }
  if (slice.length > 0) await flush();
  return sent;
}

/** Batch freshness: publish time minus each record's append time. */
async function appendToPublish(log: EventLog, topic: string, publishedAt: number): Promise<LatencyHistogram> {
  const h = new LatencyHistogram();
  const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => b.records.forEach((r) => h.record(publishedAt - r.timestamp)) });
  await sub.done;
  return h;
}

function rangeOf(windows: ReadonlyArray<{ start: number; end: number }>): { from: number; to: number } {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const w of windows) {
    if (w.start < from) from = w.start;
    if (w.end > to) to = w.end;
  }
  return Number.isFinite(from) ? { from, to } : { from: 0, to: 1 };
}
