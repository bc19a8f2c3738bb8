import { join } from 'node:path';
import { BatchViewReader } from '../batch/batch-view-reader.ts';
import { BatchViewIndex } from '../batch/batch-view-index.ts';
import { buildComparisonReport, MODE_NAMES, type ComparisonReport, type ModeName, type ModeResult } from '../compare/comparison-report.ts';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { openAdapters, openEventLog } from '../infra/adapters.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import { withDataDir, type PlatformConfig } from '../shared/config.ts';
import { ConfigError, NotFoundError } from '../shared/errors.ts';
import type { LatencySummary } from '../shared/metrics/latency-histogram.ts';
import { QueryService } from '../serving/query-service.ts';
import { startHttpServer, type HttpServer } from '../serving/http-server.ts';
import type { WorkloadOptions } from '../workload/workload-options.ts';
import { prepareDemoDataDir } from './demo-data-dir.ts';
import { refuseDataOfEarlierRuns, runDataBanner, runDataNames, runDataNotice } from './demo-run-data.ts';
import type { ReplayResult } from '../speed/kappa-replay.ts';
import { measureStorage, type StorageCost } from './storage-cost.ts';
import { reconcileLedger, type LedgerReport } from './reconcile-ledger.ts';
import { windowErrors, type WindowErrors } from '../compare/window-errors.ts';
import { compareBackfills, probeFreshness, runTimeline, type BackfillComparison, type TimelineBackfill, type TimelineCpu, type TimelineBatchRun, type TimelineInstant, type TimelineOptions } from './timeline.ts';
import { fileSource, generatedSource, topicSource, type TimelineSource } from './timeline-source.ts';

/** Where the records come from: generated (default), a JSON lines file, or a topic's recorded records. */
export type DemoInput = { readonly kind: 'generated' } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'topic'; readonly topic: string };

export interface DemoOptions {
  /** The shared knobs (WorkloadOptions) and the pipeline generator's own (the e-commerce example's users, products). */
  readonly workload: Partial<WorkloadOptions> & Readonly<Record<string, number>>;
  /** Bring your own JSON lines (a path, or - for stdin) instead of generating. */
  readonly input?: string;
  /** Play the records of this topic (on their own append times) instead of generating. */
  readonly inputTopic?: string;
  /** Simulated ms per wall ms (default 480). */
  readonly speedup?: number;
  /** Simulated time between query instants (default 15 min). */
  readonly queryEveryMs?: number;
  /** When the Kappa backfill starts, after the first record (default half way; null: none). */
  readonly backfillAfterMs?: number | null;
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

/** The timeline as reported: the clock, each batch run, each query instant, each probe. */
export interface TimelineReport {
  readonly simStart: string;
  readonly simEnd: string;
  readonly speedup: number;
  readonly hourlyRunMinute: number;
  readonly wallMs: number;
  readonly batchRuns: ReadonlyArray<Omit<TimelineBatchRun, 'at' | 'horizon' | 'buckets'> & { readonly at: string; readonly horizon: string | null; readonly buckets: readonly string[] }>;
  readonly instants: readonly TimelineInstant[];
  readonly probes: number;
  /** Per mode, each probe's wall ms from append to first visible through HTTP. */
  readonly probeSamples: Readonly<Record<string, readonly number[]>>;
  readonly kappaBackfill: TimelineBackfill | null;
}


/** CPU per layer and what each mode stores. */
export interface CostReport {
  readonly events: number;
  readonly cpuSecondsPerMillionEvents: Readonly<Record<string, number>>;
  /** CPU ms per layer during the timeline (see TimelineCpu and method). */
  readonly timelineCpuMs: TimelineCpu;
  readonly method: string;
  readonly storage: StorageCost;
}

export interface DemoResult {
  readonly report: ComparisonReport;
  readonly freshness: {
    readonly method: string;
    readonly lambdaSpeed: LatencySummary | null;
    readonly kappa: LatencySummary | null;
    readonly batch: LatencySummary | null;
    /** Batch: simulated ms from a probe's append to the scheduled run that published it. */
    readonly batchSchedule: LatencySummary | null;
    readonly perMode: Partial<Record<ModeName, LatencySummary>>;
  };
  /**
   * The Kappa backfill (as before: the replay's version, records, wall ms, events/s, CPU ms, from
   * the quiet replay), the quiet comparison with a Lambda batch recompute, and the backfill that
   * ran during the timeline and cut over.
   */
  readonly backfill: BackfillComparison & ReplayResult & {
    readonly cpuMs: number;
    readonly timeline: TimelineBackfill | null;
  };
  readonly steps: Readonly<Record<string, StepCost>>;
  readonly batchHorizon: string | null;
  /** The comparison of the windows ending at or before the batch horizon (null before the first complete hour). */
  readonly belowHorizon: ComparisonReport | null;
  readonly timeline: TimelineReport;
  readonly ledger: LedgerReport;
  /** Per view, each mode's absolute error per window start in the final state (additive measures, summed over keys). */
  readonly errorByWindow: Readonly<Record<string, WindowErrors>>;
  readonly cost: CostReport;
  /** Per mode, in the final state: windows served from the batch and the speed layer. */
  readonly layers: Partial<Record<ModeName, { readonly batch: number; readonly speed: number }>>;
  readonly data: readonly string[];
  readonly url: string;
  readonly server: HttpServer;
  close(): Promise<void>;
}

const MINUTE = 60_000;

/** The simulated start of a generated demo: 22:30 UTC two days ago, so three hours cross a midnight (the daily run) and stay in the past. */
export function defaultSimStart(wallNow: number): number {
  const day = Math.floor(wallNow / 86_400_000) * 86_400_000;
  return day - 2 * 86_400_000 + 22.5 * 3_600_000;
}

/**
 * The demo and `lk compare`: one workload played on a simulated clock through Lambda (batch on
 * its schedule + speed) and Kappa (live job + a backfill that cuts over), every mode read through
 * the HTTP API at regular instants and scored against the final truth (timeline.ts), then the
 * final comparison, the late-event ledger, a quiet backfill comparison and the storage cost.
 */
export async function runDemo(given: PlatformConfig, options: DemoOptions): Promise<DemoResult> {
  const say = options.progress;
  // What the run leaves behind only while it runs: the topic's spool, a scratch data dir, the user's log it reads.
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  let config = given;
  let topicLog: EventLog | undefined;
  let spoolDir: string | undefined;
  try {
    if (options.inputTopic !== undefined) {
      spoolDir = await mkdtemp(join(tmpdir(), 'lk-topic-'));
      cleanups.push(() => rm(spoolDir!, { recursive: true, force: true }));
      if (given.log.kind === 'embedded') {
        // The embedded log lives in the data dir a run starts by clearing: the topic is read from
        // the user's data dir as it is, and the comparison runs in a scratch data dir of its own.
        topicLog = await openTopicLog(given, options.inputTopic);
        cleanups.push(() => topicLog!.close());
        const scratch = await mkdtemp(join(tmpdir(), 'lk-compare-'));
        cleanups.push(() => rm(scratch, { recursive: true, force: true }));
        config = withDataDir(given, scratch);
        say(`topic ${options.inputTopic} read from the embedded log in ${given.log.dir}; the comparison runs in ${scratch} (removed at the end)`, true);
      } else if (options.inputTopic === config.topics.events) {
        throw new ConfigError(`--topic ${options.inputTopic} is the topic this run appends to; set LK_TOPIC to another name or leave it unset (a run names its own)`);
      }
    }
    return await runOnConfig(config, options, topicLog, spoolDir, cleanUp);
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** The user's embedded log, to read `topic` from; refused when it has no such topic. */
async function openTopicLog(config: PlatformConfig, topic: string): Promise<EventLog> {
  const dir = config.log.kind === 'embedded' ? config.log.dir : '';
  if (!(await stat(dir).then((st) => st.isDirectory(), () => false))) {
    throw new ConfigError(`--topic ${topic}: there is no embedded log in ${dir}; point --data-dir (or LK_DATA_DIR) at the data dir holding it, or use --services real for Kafka`);
  }
  const log = await openEventLog(config);
  const found = await log.partitionCount(topic).then((n) => n > 0, (err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err)));
  if (!found) {
    await log.close();
    throw new NotFoundError(`--topic ${topic}: the embedded log in ${dir} has no topic ${topic}; append records to it first (LK_TOPIC=${topic} lk ingest --input FILE), or give them as a file with --input`);
  }
  return log;
}

async function runOnConfig(config: PlatformConfig, options: DemoOptions, topicLog: EventLog | undefined, spoolDir: string | undefined, cleanUp: () => Promise<void>): Promise<DemoResult> {
  const say = options.progress;
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
    const names = runDataNames(config);
    if (names.length > 0) {
      if (!options.keepData) await refuseDataOfEarlierRuns(config, names, adapters);
      say(runDataBanner(config, names), true);
    }
    await log.ensureTopic(topics.events, config.partitions);
    const group = (name: string) => (config.scope.runId === null ? `lk-${name}` : `${config.scope.runId}-${name}`);
    let simNow = Date.now();
    const reader = new BatchViewReader({ objects, db, pipeline });
    const batch = new BatchViewIndex(reader, { pipeline });
    const service = new QueryService({ pipeline, viewStore: views, batch, clock: () => simNow });
    server = await startHttpServer(service, { host: config.serving.host, port: options.port });
    const source: TimelineSource = options.inputTopic
      ? topicSource(topicLog ?? log, options.inputTopic, spoolDir!)
      : options.input
        ? fileSource(options.input, pipeline)
        : generatedSource({ startTime: defaultSimStart(Date.now()), spanMs: 3 * 3_600_000, ...options.workload }, config.pipeline);
    const ctx = { pipeline, log, views, objects, db, topics, workDir: join(config.dataDir, 'work'), batch, url: server.url, setClock: (t: number) => void (simNow = t), group };
    const timelineOptions: TimelineOptions = {
      source,
      speedup: options.speedup ?? 480,
      queryEveryMs: options.queryEveryMs,
      backfillAfterMs: options.backfillAfterMs,
      stragglerDelayMs: config.batch.stragglerDelayMs,
      say,
    };
    const t = await runTimeline(ctx, timelineOptions);
    steps.timeline = { wallMs: t.wallMs, cpuMs: t.cpuMs };
    steps['batch-cycles'] = { wallMs: t.batchRuns.reduce((s, r) => s + r.wallMs, 0), cpuMs: t.batchRuns.reduce((s, r) => s + r.cpuMs, 0) };
    const { truth } = t;
    say(`timeline: ${t.appended.toLocaleString('en-US')} records played from ${iso(t.simStart)} to ${iso(t.simEnd)} in ${(t.wallMs / 1000).toFixed(1)} s; ${t.batchRuns.length} batch runs, ${t.instants.length} query instants`, true);

    // The final state of every mode, compared with the truth (read whole, without the HTTP window limit).
    const range = rangeOf(Object.values(truth.views).flat());
    const freshness = probeFreshness(t.probes);
    const modes: Partial<Record<ModeName, ModeResult>> = {};
    const layers: Partial<Record<ModeName, { batch: number; speed: number }>> = {};
    const horizon = await reader.horizon();
    for (const mode of horizon !== null ? MODE_NAMES : MODE_NAMES.filter((m) => m !== 'batch')) {
      const windows: Record<string, readonly MergedWindow[]> = {};
      const l = { batch: 0, speed: 0 };
      for (const v of pipeline.views) {
        const answer = await service.mergedWindows({ view: v.name, from: range.from, to: range.to, mode });
        windows[v.name] = answer.windows;
        if (mode !== 'kappa') for (const w of answer.windows) for (const tag of w.tags) l[tag]++;
      }
      modes[mode] = { windows, freshness: freshness.wall[mode] ?? null };
      layers[mode] = mode === 'kappa' ? { batch: 0, speed: 0 } : l;
    }
    const tooLate = t.speed.totals().tooLate;
    const sourceKind = source.kind;
    const report = buildComparisonReport({ pipeline, truth, modes, tooLate, generated: t.appended - t.probes.length, probes: t.probes.length, source: sourceKind });
    const below = <W extends { readonly end: number }>(byView: Readonly<Record<string, readonly W[]>>) =>
      Object.fromEntries(Object.entries(byView).map(([v, ws]) => [v, ws.filter((w) => horizon !== null && w.end <= horizon)]));
    const belowHorizon =
      horizon === null
        ? null
        : buildComparisonReport({
            pipeline,
            truth: { ...truth, views: below(truth.views) },
            modes: Object.fromEntries(Object.entries(modes).map(([m, r]) => [m, { ...r, windows: below(r.windows) }])),
            tooLate,
            generated: t.appended - t.probes.length,
            probes: t.probes.length,
            source: sourceKind,
          });

    // The ledger, reconciled: every distinct valid event in one state; the stream's and the late topic's too-late counts.
    const ledger = reconcileLedger(pipeline, t.ledger, truth, { speedTooLate: tooLate, lateTopic: await countRecords(adapters.log, topics.late) });
    // The error per window of every view, in the final state.
    const errorByWindow: Record<string, WindowErrors> = {};
    for (const v of pipeline.views) {
      if (truth.views[v.name]) errorByWindow[v.name] = windowErrors(v, Object.fromEntries(Object.entries(modes).map(([m, r]) => [m, r.windows[v.name] ?? []])), truth.views[v.name]);
    }

    // Backfill on a quiet process: Kappa replay against Lambda batch recompute of the same history.
    say('backfill: a Kappa replay and a Lambda batch recompute of the whole history, one after the other');
    const backfills = await compareBackfills(ctx, t.simEnd, truth.counts.events);
    steps['kappa-backfill'] = { wallMs: backfills.kappa.wallMs, cpuMs: backfills.kappa.cpuMs };
    steps['batch-recompute'] = { wallMs: backfills.lambdaBatch.wallMs, cpuMs: backfills.lambdaBatch.cpuMs };
    say(`backfill: Kappa replay ${(backfills.kappa.wallMs / 1000).toFixed(2)} s (${(backfills.kappa.cpuMs / 1000).toFixed(2)} CPU-s); Lambda recompute ${(backfills.lambdaBatch.wallMs / 1000).toFixed(2)} s (${(backfills.lambdaBatch.cpuMs / 1000).toFixed(2)} CPU-s)`, true);

    const masterRows = t.batchRuns.reduce((s, r) => s + r.archived, 0);
    const storage = await measureStorage(config, pipeline, { objects, views, batch: reader }, { logRecords: t.appended, masterRows, namespaces: ['speed', t.kappaNamespace] });
    const perM = (cpuMs: number) => Math.round((cpuMs / 1000 / Math.max(1, truth.counts.events)) * 1e6 * 100) / 100;
    const cost: CostReport = {
      events: truth.counts.events,
      cpuSecondsPerMillionEvents: {
        'stream job (Kappa replay, quiet)': perM(backfills.kappa.cpuMs),
        'batch recompute (quiet)': perM(backfills.lambdaBatch.cpuMs),
        'timeline: speed layer (transform, main thread)': perM(t.cpu.speedMs),
        'timeline: Kappa live jobs + backfill replay (transform, main thread)': perM(t.cpu.kappaMs),
        'timeline: batch runs (archive + compute, process CPU less the stream transform meanwhile)': perM(t.cpu.batchMs),
        'timeline: query instants (HTTP client + server, process CPU less the stream transform meanwhile)': perM(t.cpu.queriesMs),
        'timeline: rest (ingest, view-store and side-output writes, probes)': perM(t.cpu.restMs),
        'whole timeline (ingest, speed, Kappa, batch, queries)': perM(t.cpuMs),
      },
      timelineCpuMs: t.cpu,
      method:
        'quiet: process.cpuUsage() around each backfill, run alone after the timeline. Timeline (one process for every layer): the stream jobs\' transform is ' +
        'process.threadCpuUsage() around its synchronous steps (record processing, taking change sets), so it is theirs alone but leaves out their view-store writes; ' +
        'batch runs and query instants are process.cpuUsage() while the timeline waited for them (no appends meanwhile) less the stream transform in that time; ' +
        'rest = the whole timeline\'s process CPU less all of these',
      storage,
    };

    const timeline: TimelineReport = {
      simStart: new Date(t.simStart).toISOString(),
      simEnd: new Date(t.simEnd).toISOString(),
      speedup: t.speedup,
      hourlyRunMinute: t.hourlyOffsetMs / MINUTE,
      wallMs: t.wallMs,
      batchRuns: t.batchRuns.map((r) => ({ ...r, at: new Date(r.at).toISOString(), horizon: r.horizon === null ? null : new Date(r.horizon).toISOString(), buckets: r.buckets.map((b) => new Date(b).toISOString()) })),
      instants: t.instants,
      probes: t.probes.length,
      probeSamples: Object.fromEntries(MODE_NAMES.map((m) => [m, t.probes.flatMap((p) => (p.visibleAfterWallMs[m] === undefined ? [] : [p.visibleAfterWallMs[m]!]))])),
      kappaBackfill: t.backfill,
    };
    return {
      report,
      freshness: {
        method:
          'probe events (the schema\'s smallest valid event with its text fields probe-<n>, one every 5 simulated minutes, read in the first view keyed by one of them), wall ms from their append to the first HTTP answer that shows them, polled every 25 ms per stream mode; ' +
          'batch: looked at after each scheduled run, and batchSchedule is the simulated time from the append to that run (the hourly schedule\'s staleness)',
        lambdaSpeed: freshness.wall.lambda ?? null,
        kappa: freshness.wall.kappa ?? null,
        batch: freshness.wall.batch ?? null,
        batchSchedule: freshness.batchSchedule,
        perMode: freshness.wall,
      },
      backfill: {
        namespace: t.kappaNamespace,
        previous: t.backfill ? 'kappa_v1' : undefined,
        records: backfills.kappa.records,
        elapsedMs: backfills.kappa.wallMs,
        eventsPerSecond: backfills.kappa.wallMs > 0 ? Math.round((backfills.kappa.records * 1000) / backfills.kappa.wallMs) : backfills.kappa.records,
        cutOver: t.backfill !== null,
        cpuMs: backfills.kappa.cpuMs,
        computeCpuMs: backfills.kappa.computeCpuMs,
        ...backfills,
        timeline: t.backfill,
      },
      steps,
      batchHorizon: horizon === null ? null : new Date(horizon).toISOString(),
      belowHorizon,
      timeline,
      ledger,
      errorByWindow,
      cost,
      layers,
      data: runDataNotice(config, names),
      url: server.url,
      server,
      close: async () => {
        await server?.close();
        await db.close();
        await adapters.close();
        await cleanUp();
      },
    };
  } catch (err) {
    await server?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    await adapters.close();
    throw err;
  }
}

/** Records in a topic now; 0 when it does not exist (no job had a record to write to it). */
async function countRecords(log: PlatformLog, topic: string): Promise<number> {
  let n = 0;
  if (!(await log.partitionCount(topic).then(() => true, (err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err))))) return 0;
  const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void (n += b.records.length) });
  await sub.done;
  return n;
}
type PlatformLog = Awaited<ReturnType<typeof openAdapters>>['log'];

function rangeOf(windows: ReadonlyArray<{ start: number; end: number }>): { from: number; to: number } {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const w of windows) {
    if (w.start < from) from = w.start;
    if (w.end > to) to = w.end;
  }
  return Number.isFinite(from) ? { from, to } : { from: 0, to: 1 };
}

function iso(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}
