import { join } from 'node:path';
import { BatchViewReader } from '../batch/batch-view-reader.ts';
import { BatchViewIndex } from '../batch/batch-view-index.ts';
import { buildComparisonReport, MODE_NAMES, type ComparisonReport, type ModeName, type ModeResult } from '../compare/comparison-report.ts';
import { openAdapters } from '../infra/adapters.ts';
import { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import type { LateLedger } from '../shared/compute/late-ledger.ts';
import type { PlatformConfig } from '../shared/config.ts';
import { ConfigError, NotFoundError } from '../shared/errors.ts';
import type { LatencySummary } from '../shared/metrics/latency-histogram.ts';
import { QueryService } from '../serving/query-service.ts';
import { startHttpServer, type HttpServer } from '../serving/http-server.ts';
import type { WorkloadOptions } from '../workload/workload-options.ts';
import { prepareDemoDataDir } from './demo-data-dir.ts';
import { refuseDataOfEarlierRuns, runDataBanner, runDataNames, runDataNotice } from './demo-run-data.ts';
import type { ReplayResult } from '../speed/kappa-replay.ts';
import { measureStorage, type StorageCost } from './storage-cost.ts';
import { compareBackfills, probeFreshness, runTimeline, type BackfillComparison, type TimelineBackfill, type TimelineBatchRun, type TimelineInstant, type TimelineOptions } from './timeline.ts';
import { fileSource, generatedSource, topicSource, type TimelineSource } from './timeline-source.ts';

/** Where the records come from: generated (default), a JSON lines file, or a topic's recorded records. */
export type DemoInput = { readonly kind: 'generated' } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'topic'; readonly topic: string };

export interface DemoOptions {
  readonly workload: Partial<WorkloadOptions>;
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

/** The late-event ledger, reconciled with the truth and the stream. */
export interface LedgerReport extends LateLedger {
  readonly reconciled: boolean;
  readonly checks: ReadonlyArray<{ readonly what: string; readonly expected: number; readonly actual: number }>;
}

/** CPU per layer and what each mode stores. */
export interface CostReport {
  readonly events: number;
  readonly cpuSecondsPerMillionEvents: Readonly<Record<string, number>>;
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
export async function runDemo(config: PlatformConfig, options: DemoOptions): Promise<DemoResult> {
  const say = options.progress;
  if (options.inputTopic !== undefined && config.log.kind === 'embedded') {
    // The embedded log lives in the data dir the run starts by clearing.
    throw new ConfigError('--topic plays a topic of the real log (--services real); on embedded services give the records as a file with --input');
  }
  if (options.inputTopic !== undefined && options.inputTopic === config.topics.events) {
    throw new ConfigError(`--topic ${options.inputTopic} is the topic this run appends to; set LK_TOPIC to another name or leave it unset (a run names its own)`);
  }
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
      ? topicSource(log, options.inputTopic)
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
    const report = buildComparisonReport({ pipeline, truth, modes, tooLate, generated: t.appended, source: sourceKind });
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
            generated: t.appended,
            source: sourceKind,
          });

    // The ledger, reconciled: every distinct valid event in one state; the stream's and the late topic's too-late counts.
    const lateTopic = await countRecords(adapters.log, topics.late);
    const l = t.ledger;
    const checks = [
      { what: 'events in the ledger = distinct valid events of the truth', expected: truth.counts.events, actual: l.totals.onTime + l.totals.lateWithin + l.totals.tooLate + l.totals.absorbed },
      { what: 'too late + absorbed = the speed layer\'s too-late count', expected: tooLate, actual: l.totals.tooLate + l.totals.absorbed },
      { what: 'too late + absorbed = records in the late topic', expected: lateTopic, actual: l.totals.tooLate + l.totals.absorbed },
    ];
    const ledger: LedgerReport = { ...l, reconciled: checks.every((c) => c.expected === c.actual), checks };

    // Backfill on a quiet process: Kappa replay against Lambda batch recompute of the same history.
    say('backfill: a Kappa replay and a Lambda batch recompute of the whole history, one after the other');
    const backfills = await compareBackfills(ctx, t.simEnd, truth.counts.events);
    steps['kappa-backfill'] = { wallMs: backfills.kappa.wallMs, cpuMs: backfills.kappa.cpuMs };
    steps['batch-recompute'] = { wallMs: backfills.lambdaBatch.wallMs, cpuMs: backfills.lambdaBatch.cpuMs };
    say(`backfill: Kappa replay ${(backfills.kappa.wallMs / 1000).toFixed(2)} s (${(backfills.kappa.cpuMs / 1000).toFixed(2)} CPU-s); Lambda recompute ${(backfills.lambdaBatch.wallMs / 1000).toFixed(2)} s (${(backfills.lambdaBatch.cpuMs / 1000).toFixed(2)} CPU-s)`, true);

    const masterRows = t.batchRuns.reduce((s, r) => s + r.archived, 0);
    const storage = await measureStorage(config, pipeline, { objects, views, batch: reader }, { logRecords: t.appended, masterRows, namespaces: ['speed', t.kappaNamespace] });
    const perM = (cpuMs: number) => Math.round((cpuMs / 1000 / Math.max(1, truth.counts.events)) * 1e6 * 100) / 100;
    const batchCyclesCpu = t.batchRuns.reduce((s, r) => s + r.cpuMs, 0);
    const cost: CostReport = {
      events: truth.counts.events,
      cpuSecondsPerMillionEvents: {
        'stream job (Kappa replay, quiet)': perM(backfills.kappa.cpuMs),
        'batch recompute (quiet)': perM(backfills.lambdaBatch.cpuMs),
        'batch cycles on the timeline (archive + compute; stream jobs alongside)': perM(batchCyclesCpu),
        'whole timeline (ingest, speed, Kappa, batch, queries)': perM(t.cpuMs),
      },
      method: 'process.cpuUsage() around each step; the quiet figures ran alone, the timeline ones share the process with the live stream jobs and the queries',
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
          'probe events (a page view of product probe-<n>, one every 5 simulated minutes), wall ms from their append to the first HTTP answer that shows them, polled every 25 ms per stream mode; ' +
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
        ...backfills,
        timeline: t.backfill,
      },
      steps,
      batchHorizon: horizon === null ? null : new Date(horizon).toISOString(),
      belowHorizon,
      timeline,
      ledger,
      cost,
      layers,
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
