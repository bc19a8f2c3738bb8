import { runDailyRecompute, runHourlyCycle, type BatchCycleDeps, type BatchCycleResult } from '../batch/batch-cycle.ts';
import { runBatch } from '../batch/batch-job.ts';
import { newRunId } from '../batch/run-id.ts';
import type { BatchViewIndex } from '../batch/batch-view-index.ts';
import { compareWindows, type ComparedWindow, type ViewComparison } from '../compare/compare-views.ts';
import { MODE_NAMES, type ModeName } from '../compare/comparison-report.ts';
import { computeGroundTruth, type GroundTruth, type TruthWindow } from '../compare/ground-truth.ts';
import { fetchServedView } from '../compare/served-windows.ts';
import type { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import { LateLedgerBuilder, type LateLedger, type LedgerBatchRun } from '../shared/compute/late-ledger.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TopicNames } from '../shared/config.ts';
import { BadRequestError } from '../shared/errors.ts';
import { LatencyHistogram, type LatencySummary } from '../shared/metrics/latency-histogram.ts';
import type { AppendRecord, EventLog } from '../shared/ports/event-log.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { batchRunsBetween, hourlyRunOffsetMs, instantsBetween, wallOffsetOf, type ScheduledBatchRun } from '../shared/time/timeline-schedule.ts';
import { runKappaReplay } from '../speed/kappa-replay.ts';
import { describeVerdict } from '../speed/cutover-gate.ts';
import { cutOverTo } from '../speed/kappa-cutover.ts';
import { readLateEvents } from '../speed/late-events.ts';
import { LateFootprint } from '../shared/compute/late-footprint.ts';
import { KAPPA_ALIAS } from '../speed/kappa-version.ts';
import { StreamJob, type StreamJobDeps } from '../speed/stream-job.ts';
import { waitUntilCaughtUp, type HasPositions } from './caught-up.ts';
import { probeWindow } from './probe-window.ts';
import { withProbes, type TimedRecord, type TimelineSource } from './timeline-source.ts';

/** How the timeline plays. Times are simulated milliseconds unless named wall. */
export interface TimelineOptions {
  readonly source: TimelineSource;
  /** Simulated ms per wall ms (the demo's default 480: three simulated hours in 22.5 s). Infinity: as fast as the work allows. */
  readonly speedup: number;
  /** The clock advances in steps of this (default 1 min); appends, runs and queries happen at step ends. */
  readonly stepMs?: number;
  /** Every mode is queried and scored this often (default 15 min). */
  readonly queryEveryMs?: number;
  /** A probe event is appended this often (default 5 min). */
  readonly probeEveryMs?: number;
  /** A query instant scores the windows ending in the last this long (default 30 min), see scoredRange. */
  readonly lookbackMs?: number;
  /** When the Kappa backfill starts, after the first record (default: half way through the source's span when known, else 1 h; null: none). */
  readonly backfillAfterMs?: number | null;
  readonly stragglerDelayMs: number;
  /** Offset of the daily run after midnight (default 30 min). */
  readonly dailyOffsetMs?: number;
  readonly say: (line: string, final?: boolean) => void;
}

/** What the timeline runs on: the ports, the serving layer's URL and the batch index behind it. */
export interface TimelineContext {
  readonly pipeline: Pipeline;
  readonly log: EventLog;
  readonly views: ViewStore;
  readonly objects: ObjectStore;
  readonly db: DuckDb;
  readonly topics: TopicNames;
  readonly workDir: string;
  /** The published batch as the serving layer holds it (as `lk serve` does); the timeline reloads it after each publish. */
  readonly batch: BatchViewIndex;
  readonly url: string;
  /** The serving layer's clock is the simulated one: the timeline sets it. */
  readonly setClock: (simNow: number) => void;
  /** Consumer-group name for a job of this run. */
  readonly group: (name: string) => string;
}

/** One batch run on the timeline. */
export interface TimelineBatchRun extends ScheduledBatchRun {
  readonly runId: string | null;
  /** Buckets computed (start times). */
  readonly buckets: readonly number[];
  readonly horizon: number | null;
  readonly archived: number;
  readonly wallMs: number;
  /** Process CPU while it ran (the stream jobs ran alongside). */
  readonly cpuMs: number;
}

/** One mode at one query instant. */
export interface ModeInstant {
  /** False when the mode had nothing to serve yet (batch before its first publish). */
  readonly available: boolean;
  readonly views: Readonly<Record<string, ViewComparison>>;
  /** Windows served from each Lambda layer, over the views. */
  readonly layers: { readonly batch: number; readonly speed: number };
  /** The scored windows ending at or before the batch horizon alone (absent before the first publish). */
  readonly belowHorizon?: Readonly<Record<string, ViewComparison>>;
}

/** One query instant: every mode read through HTTP and scored against the final truth. */
export interface TimelineInstant {
  readonly at: number;
  readonly wallMs: number;
  readonly horizon: number | null;
  readonly kappaVersion: string | null;
  /** The windows scored: those ending in (from, to]. */
  readonly scored: { readonly from: number; readonly to: number };
  readonly modes: Partial<Record<ModeName, ModeInstant>>;
}

/** A probe event: when it was appended, and when each mode first showed it through HTTP. */
export interface ProbeRecord {
  readonly id: string;
  readonly at: number;
  /** Wall ms from append to first visible, per mode (absent: never seen within the run). */
  readonly visibleAfterWallMs: Partial<Record<ModeName, number>>;
  /** Batch: simulated ms from append to the batch run that made it visible (the schedule's staleness). */
  readonly batchStalenessMs?: number;
}

/** The Kappa backfill during the timeline: replay into a new version, continue it live, cut over. */
export interface TimelineBackfill {
  readonly at: number;
  readonly namespace: string;
  readonly records: number;
  readonly replayWallMs: number;
  /** Wall ms from the backfill's start until the new version was caught up and the alias switched. */
  readonly servableAfterWallMs: number;
  /** Simulated time of the cut-over. */
  readonly cutOverAt: number;
}

export interface TimelineResult {
  readonly truth: GroundTruth;
  readonly simStart: number;
  readonly simEnd: number;
  readonly speedup: number;
  readonly hourlyOffsetMs: number;
  readonly appended: number;
  readonly probes: readonly ProbeRecord[];
  readonly batchRuns: readonly TimelineBatchRun[];
  readonly instants: readonly TimelineInstant[];
  readonly backfill: TimelineBackfill | null;
  readonly ledger: LateLedger;
  readonly speed: StreamJob;
  readonly kappaNamespace: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** CPU ms per layer during the timeline, see TimelineCpu. */
  readonly cpu: TimelineCpu;
}

/**
 * CPU per layer during the timeline, where every layer shares one process. The stream jobs'
 * figures are their transform on the main thread, measured around its synchronous steps (exact
 * for that work, without their view-store writes); the batch runs' and the query instants' are
 * the process's CPU while the timeline waited for them (nothing was appended meanwhile), less the
 * stream jobs' transform in that time; `rest` is what remains of the process's CPU.
 */
export interface TimelineCpu {
  readonly speedMs: number;
  /** The live Kappa jobs and the backfill's replay. */
  readonly kappaMs: number;
  readonly batchMs: number;
  readonly queriesMs: number;
  /** The rest: ingest (appends), the stream jobs' view-store and side-output writes, the probe poller, catching up before each query. */
  readonly restMs: number;
  readonly totalMs: number;
}

const MINUTE = 60_000;
const PROBE_POLL_MS = 25;
const PROBE_GIVE_UP_WALL_MS = 30_000;
const STREAM_MODES = ['lambda', 'speed', 'kappa'] as const;

/** CPU ms of this process since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return Math.round((u.user + u.system) / 1000);
}

/**
 * The range a query instant scores: windows ending at least the stream's finality lag
 * (maxOutOfOrderness + allowedLateness) before the instant, so every mode could have them final,
 * and at most `lookbackMs` before it, so each instant reads a bounded range.
 */
export function scoredRange(at: number, lookbackMs: number, pipeline: Pipeline): { from: number; to: number } {
  const l = pipeline.config.lateness;
  return { from: at - lookbackMs, to: at - l.maxOutOfOrdernessMs - l.allowedLatenessMs };
}

/**
 * The timeline engine (the demo and `lk compare`): the source plays on a simulated clock; the
 * speed layer and the live Kappa job consume all along; the batch layer runs on its schedule on
 * that clock (hourly once the hour just ended can be complete, daily after midnight), publishing
 * complete hours only; a Kappa backfill replays the log into a new version, continues it live and
 * cuts over once it caught up; at every query instant the engine waits for the stream jobs to
 * catch up (so scores show what each architecture computes, and probes measure the lag), reads
 * every mode through the HTTP API and scores each window against the final truth. After the
 * last record the clock runs on to the next hourly run, and the final instant is scored there.
 */
export async function runTimeline(ctx: TimelineContext, o: TimelineOptions): Promise<TimelineResult> {
  const { pipeline, log, views, topics } = ctx;
  const stepMs = o.stepMs ?? MINUTE;
  const queryEveryMs = o.queryEveryMs ?? 15 * MINUTE;
  const probeEveryMs = o.probeEveryMs ?? 5 * MINUTE;
  const lookbackMs = o.lookbackMs ?? 30 * MINUTE;
  const records = () => withProbes(o.source.records(), probeEveryMs, pipeline.config.schema);

  // 1. The final truth, from the source itself (the same records and append times the log will hold).
  o.say('truth: computing the final truth of the source');
  const span = { first: Number.NaN, last: Number.NaN };
  const truth = await computeGroundTruth(pipeline, (async function* () {
    for await (const r of records()) {
      if (Number.isNaN(span.first)) span.first = r.timestamp;
      span.last = r.timestamp;
      yield r;
    }
  })());
  if (truth.counts.events === 0) {
    throw new BadRequestError(
      o.source.kind === 'read' ? '--input' : '--events',
      `${o.source.kind === 'read' ? 'the input' : 'the workload'} had no valid record (${truth.counts.records.toLocaleString('en-US')} read, ${truth.counts.invalid.toLocaleString('en-US')} invalid; see the README's event model); nothing to compare`,
    );
  }
  const simStart = span.first;
  const backfillAt = o.backfillAfterMs === null ? null : simStart + (o.backfillAfterMs ?? Math.max(stepMs, Math.floor((span.last - span.first) / 2)));
  const truthByView = Object.entries(truth.views);

  // 2. The live stream jobs.
  const deps: StreamJobDeps = { log, views, pipeline, topics };
  const speed = new StreamJob(deps, { namespace: 'speed', groupId: ctx.group('speed'), from: { kind: 'earliest' } });
  let kappaNamespace = 'kappa_v1';
  let kappa = new StreamJob(deps, { namespace: kappaNamespace, groupId: ctx.group(kappaNamespace), from: { kind: 'earliest' }, sideOutputs: false });
  await views.ensureNamespace(kappaNamespace);
  await views.setAlias(KAPPA_ALIAS, kappaNamespace);
  const running = [await speed.start(), await kappa.start()];
  // Every Kappa job of the run (live versions), and the backfill replay's transform CPU.
  const kappaJobs: StreamJob[] = [kappa];
  let replayCpuMs = 0;
  const streamCpuMs = () => speed.computeCpuMs + kappaJobs.reduce((a, j) => a + j.computeCpuMs, 0) + replayCpuMs;
  const spent = { batchMs: 0, queriesMs: 0 };
  /** Process CPU ms of `work` less the stream jobs' transform meanwhile. */
  const exclusiveOf = async <T>(work: () => Promise<T>, add: (ms: number) => void): Promise<T> => {
    const cpu = process.cpuUsage();
    const stream = streamCpuMs();
    try {
      return await work();
    } finally {
      add(Math.max(0, cpuSince(cpu) - (streamCpuMs() - stream)));
    }
  };
  let kappaSub = running[1];
  const liveJobs: HasPositions[] = [speed, { positions: () => kappa.positions() }];

  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  let now = simStart - stepMs;
  ctx.setClock(now);
  const timetable = { hourlyOffsetMs: hourlyRunOffsetMs(o.stragglerDelayMs, pipeline.config.lateness.maxOutOfOrdernessMs), dailyOffsetMs: o.dailyOffsetMs ?? 30 * MINUTE };
  const batchRuns: TimelineBatchRun[] = [];
  const instants: TimelineInstant[] = [];
  let horizon: number | null = null;
  let appended = 0;

  // Probes: stream modes are polled through HTTP in the background; batch is looked at after each run.
  // `where`: the view and key a probe shows in (probeWindow); null when no view of the pipeline can show one (it stays unseen).
  type Where = ReturnType<typeof probeWindow>;
  const probes = new Map<string, { id: string; at: number; wall: number; where: Where; visibleAfterWallMs: Partial<Record<ModeName, number>>; batchStalenessMs?: number }>();
  let polling = true;
  const probeVisible = async (where: Where, at: number, mode: ModeName) =>
    where !== null && ((await fetchServedView(ctx.url, where.view, mode, at - MINUTE, at + MINUTE, where.key))?.windows.length ?? 0) > 0;
  const poller = (async () => {
    while (polling) {
      for (const p of probes.values()) {
        for (const mode of STREAM_MODES) {
          if (p.where === null || p.visibleAfterWallMs[mode] !== undefined || performance.now() - p.wall > PROBE_GIVE_UP_WALL_MS) continue;
          // A failed poll (the server busy with a cut-over) is tried again at the next one.
          if (await probeVisible(p.where, p.at, mode).catch(() => false)) p.visibleAfterWallMs[mode] = Math.round(performance.now() - p.wall);
        }
      }
      await new Promise((r) => setTimeout(r, PROBE_POLL_MS));
    }
  })();

  const cycleDeps: BatchCycleDeps = {
    log,
    objects: ctx.objects,
    db: ctx.db,
    pipeline,
    topic: topics.events,
    workDir: ctx.workDir,
    clock: () => now,
    stragglerDelayMs: o.stragglerDelayMs,
  };
  const runBatchAt = async (run: ScheduledBatchRun) => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const result: BatchCycleResult = await exclusiveOf(() => (run.kind === 'hourly' ? runHourlyCycle(cycleDeps) : runDailyRecompute(cycleDeps)), (ms) => void (spent.batchMs += ms));
    if (result.batch?.published) {
      horizon = result.batch.horizon;
      // Served from the next query on, as `lk serve`'s poll would load it (without waiting for one).
      await ctx.batch.refresh();
    }
    const done: TimelineBatchRun = {
      ...run,
      runId: result.batch?.published ? result.batch.runId : null,
      buckets: result.batch?.published ? result.batch.buckets : [],
      horizon,
      archived: result.archived.valid,
      wallMs: Math.round(performance.now() - wall),
      cpuMs: cpuSince(cpu),
    };
    batchRuns.push(done);
    o.say(`batch ${run.kind} at ${iso(run.at)}: ${done.buckets.length} hour${done.buckets.length === 1 ? '' : 's'} computed; horizon ${horizon === null ? 'none' : iso(horizon)}`, true);
    // Batch freshness: a probe shows in batch mode once a run published its hour.
    if (horizon !== null) {
      for (const p of probes.values()) {
        if (p.visibleAfterWallMs.batch !== undefined || p.at >= horizon) continue;
        if (await probeVisible(p.where, p.at, 'batch')) {
          p.visibleAfterWallMs.batch = Math.round(performance.now() - p.wall);
          p.batchStalenessMs = run.at - p.at;
        }
      }
    }
  };

  let backfill: TimelineBackfill | null = null;
  let backfillTask: Promise<void> | undefined;
  const startBackfill = (at: number) => {
    o.say(`kappa backfill at ${iso(at)}: replaying the log into a new version`, true);
    const wall = performance.now();
    backfillTask = (async () => {
      const replay = await runKappaReplay(deps, { cutOver: false });
      replayCpuMs += replay.computeCpuMs;
      const replayWallMs = Math.round(performance.now() - wall);
      // The new version continues live from the replay's checkpoints; serving moves to it once it caught up.
      const next = new StreamJob(deps, { namespace: replay.namespace, groupId: ctx.group(replay.namespace), from: { kind: 'earliest' }, sideOutputs: false });
      kappaJobs.push(next);
      const nextSub = await next.start();
      await waitUntilCaughtUp(log, topics.events, [next]);
      // The same gate lk replay applies: the new version against the one serving and against batch.
      const late = new LateFootprint(pipeline, await readLateEvents(log, topics, pipeline));
      const gate = await cutOverTo({ views, pipeline, batch: await ctx.batch.snapshot(), late }, replay.namespace);
      if (!gate.cutOver) {
        await nextSub.stop();
        o.say(`kappa backfill: ${replay.namespace} refused by the cut-over gate; ${kappaNamespace} keeps serving\n${describeVerdict(replay.namespace, gate.verdict!)}`, true);
        return;
      }
      const old = { sub: kappaSub, namespace: kappaNamespace };
      kappa = next;
      kappaSub = nextSub;
      kappaNamespace = replay.namespace;
      // The old version stays (as lk replay keeps the one it replaces): a query may still be reading it.
      await old.sub.stop();
      backfill = { at, namespace: replay.namespace, records: replay.records, replayWallMs, servableAfterWallMs: Math.round(performance.now() - wall), cutOverAt: now };
      o.say(`kappa backfill: ${replay.records.toLocaleString('en-US')} records into ${replay.namespace} in ${(replayWallMs / 1000).toFixed(2)} s; cut over at ${iso(now)} once caught up`, true);
    })();
  };

  const query = async (at: number) => {
    await waitUntilCaughtUp(log, topics.events, liveJobs);
    await exclusiveOf(() => scoreAt(at), (ms) => void (spent.queriesMs += ms));
  };
  const scoreAt = async (at: number) => {
    const scored = scoredRange(at, lookbackMs, pipeline);
    const modes: Partial<Record<ModeName, ModeInstant>> = {};
    let seen: { horizon: number | null; kappaVersion: string | null } = { horizon, kappaVersion: null };
    for (const mode of MODE_NAMES) {
      const byView: Record<string, ViewComparison> = {};
      const belowByView: Record<string, ViewComparison> = {};
      const layers = { batch: 0, speed: 0 };
      let available = true;
      for (const [viewName, truthWindows] of truthByView) {
        const view = pipeline.view(viewName);
        // Windows ending after scored.from overlap [scored.from, at); the reach brings sliding windows' starts in.
        const served = await fetchServedView(ctx.url, viewName, mode, scored.from, Math.max(at, scored.from + 1));
        if (served === null) {
          available = false;
          break;
        }
        if (mode === 'lambda') seen = { horizon: served.batchHorizon, kappaVersion: seen.kappaVersion };
        if (mode === 'kappa') seen = { horizon: seen.horizon, kappaVersion: served.kappaVersion };
        layers.batch += served.layers.batch;
        layers.speed += served.layers.speed;
        const inRange = <W extends ComparedWindow | TruthWindow>(w: W) => w.end > scored.from && w.end <= scored.to;
        const mine = served.windows.filter(inRange);
        const truthIn = truthWindows.filter(inRange);
        byView[viewName] = compareWindows(view, mine, truthIn);
        const h = served.batchHorizon;
        if (h !== null) belowByView[viewName] = compareWindows(view, mine.filter((w) => w.end <= h), truthIn.filter((w) => w.end <= h));
      }
      modes[mode] = !available ? { available, views: {}, layers } : Object.keys(belowByView).length > 0 ? { available, views: byView, layers, belowHorizon: belowByView } : { available, views: byView, layers };
    }
    instants.push({ at, wallMs: Math.round(performance.now() - wallStart), horizon: seen.horizon, kappaVersion: seen.kappaVersion, scored, modes });
    const lambda = modes.lambda;
    const exact = lambda?.available ? Object.values(lambda.views).reduce((s, c) => s + c.exact, 0) : 0;
    const total = lambda?.available ? Object.values(lambda.views).reduce((s, c) => s + c.windows, 0) : 0;
    o.say(`query at ${iso(at)}: lambda ${exact}/${total} windows exact (${lambda?.layers.batch ?? 0} from batch, ${lambda?.layers.speed ?? 0} from speed)`);
  };

  try {
    // 3. Play, step by step: each thing due at an instant runs once every record appended at or
    // before that instant is in the log (and none after it), then the step's remaining records.
    const it = records()[Symbol.asyncIterator]();
    let next = await it.next();
    let pending: AppendRecord[] = [];
    let pendingProbes: TimedRecord[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      await log.append(topics.events, pending);
      appended += pending.length;
      pending = [];
      // A probe is timed from the append that made it durable.
      const wall = performance.now();
      for (const r of pendingProbes) probes.set(r.probe!, { id: r.probe!, at: r.timestamp, wall, where: probeWindow(pipeline, r.probe!, r.timestamp), visibleAfterWallMs: {} });
      pendingProbes = [];
    };
    const appendUpTo = async (t: number) => {
      while (!next.done && next.value.timestamp <= t) {
        const r = next.value;
        pending.push({ key: r.key, value: r.value, timestamp: r.timestamp });
        if (r.probe) pendingProbes.push(r);
        if (pending.length >= 1000) await flush();
        next = await it.next();
      }
      await flush();
    };
    while (!next.done) {
      const from = now;
      const to = now + stepMs;
      const due: Array<{ at: number; what: () => Promise<void> | void }> = [
        ...batchRunsBetween(from, to, timetable).map((r) => ({ at: r.at, what: () => runBatchAt(r) })),
        ...instantsBetween(simStart, queryEveryMs, from, to).map((at) => ({ at, what: () => query(at) })),
      ];
      if (backfillAt !== null && backfillAt > from && backfillAt <= to) due.push({ at: backfillAt, what: () => startBackfill(backfillAt) });
      for (const d of due.sort((a, b) => a.at - b.at)) {
        await appendUpTo(d.at);
        now = d.at;
        ctx.setClock(now);
        await d.what();
      }
      await appendUpTo(to);
      now = to;
      ctx.setClock(now);
      o.say(`clock ${iso(now)}: ${appended.toLocaleString('en-US')} records appended; speed at ${speed.records.toLocaleString('en-US')}, kappa at ${kappa.records.toLocaleString('en-US')}`);
      const wait = wallOffsetOf(now, simStart, o.speedup) - (performance.now() - wallStart);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await backfillTask;
    // 4. The tail: the clock runs on to the next hourly run (no more records), which recomputes the
    // hours below the horizon that got too-late events after their last run; then the final instant.
    const tail = batchRunsBetween(now, now + 2 * 3_600_000, timetable).find((r) => r.kind === 'hourly');
    if (tail) {
      now = tail.at;
      ctx.setClock(now);
      await runBatchAt(tail);
    }
    if (instants.at(-1)?.at !== now) await query(now);
    const deadline = performance.now() + 5_000;
    while (performance.now() < deadline && [...probes.values()].some((p) => p.where !== null && STREAM_MODES.some((m) => p.visibleAfterWallMs[m] === undefined))) await new Promise((r) => setTimeout(r, PROBE_POLL_MS));
  } finally {
    polling = false;
    await poller.catch(() => undefined);
    await backfillTask?.catch(() => undefined);
    await running[0].stop();
    await kappaSub.stop();
  }
  const wallMs = Math.round(performance.now() - wallStart);
  const cpuMs = cpuSince(cpuStart);
  const kappaMs = kappaJobs.reduce((a, j) => a + j.computeCpuMs, 0) + replayCpuMs;
  const cpu: TimelineCpu = { speedMs: speed.computeCpuMs, kappaMs, ...spent, restMs: Math.max(0, cpuMs - speed.computeCpuMs - kappaMs - spent.batchMs - spent.queriesMs), totalMs: cpuMs };

  // 5. The late-event ledger, from the log and the batch runs.
  const ledger = await buildLedger(log, topics.events, pipeline, batchRuns);
  return {
    truth,
    simStart,
    simEnd: now,
    speedup: o.speedup,
    hourlyOffsetMs: timetable.hourlyOffsetMs,
    appended,
    probes: [...probes.values()].map(({ id, at, visibleAfterWallMs, batchStalenessMs }) => ({ id, at, visibleAfterWallMs, ...(batchStalenessMs === undefined ? {} : { batchStalenessMs }) })),
    batchRuns,
    instants,
    backfill,
    ledger,
    speed,
    kappaNamespace,
    wallMs,
    cpuMs,
    cpu,
  };
}

async function buildLedger(log: EventLog, topic: string, pipeline: Pipeline, runs: readonly TimelineBatchRun[]): Promise<LateLedger> {
  const builder = new LateLedgerBuilder(pipeline);
  const next = new Map<number, number>();
  const sub = await log.consume({
    topic,
    from: { kind: 'earliest' },
    stopAtEnd: true,
    onBatch: async (b) => {
      for (const r of b.records) {
        // A redelivered offset is the same record, read once.
        if (r.offset < (next.get(b.partition) ?? 0)) continue;
        next.set(b.partition, r.offset + 1);
        builder.observe(b.partition, r);
      }
    },
  });
  await sub.done;
  const ledgerRuns: LedgerBatchRun[] = runs.filter((r) => r.runId !== null).map((r) => ({ runId: r.runId!, at: r.at, buckets: r.buckets }));
  return builder.finish(ledgerRuns);
}

/** The quiet backfill: a Kappa replay of the whole history and a Lambda batch recompute of it, one after the other, nothing else running. */
export interface BackfillComparison {
  readonly events: number;
  readonly kappa: { readonly wallMs: number; readonly cpuMs: number; readonly servableAfterMs: number; readonly records: number; readonly computeCpuMs: number };
  readonly lambdaBatch: { readonly wallMs: number; readonly cpuMs: number; readonly servableAfterMs: number; readonly buckets: number; readonly rows: number };
}

/** Measures both backfills of the same history after the timeline (the replay's version is dropped; the recompute publishes as a run would). */
export async function compareBackfills(ctx: TimelineContext, simEnd: number, events: number): Promise<BackfillComparison> {
  const deps: StreamJobDeps = { log: ctx.log, views: ctx.views, pipeline: ctx.pipeline, topics: ctx.topics };
  let wall = performance.now();
  let cpu = process.cpuUsage();
  const replay = await runKappaReplay(deps, { cutOver: false });
  const kappa = { wallMs: Math.round(performance.now() - wall), cpuMs: cpuSince(cpu), servableAfterMs: Math.round(performance.now() - wall), records: replay.records, computeCpuMs: replay.computeCpuMs };
  await ctx.views.dropNamespace(replay.namespace);
  wall = performance.now();
  cpu = process.cpuUsage();
  const batch = await runBatch({ objects: ctx.objects, db: ctx.db, pipeline: ctx.pipeline, workDir: ctx.workDir, clock: () => simEnd }, { buckets: 'all', runId: newRunId(simEnd + 1_000) });
  const lambdaBatch = { wallMs: Math.round(performance.now() - wall), cpuMs: cpuSince(cpu), servableAfterMs: Math.round(performance.now() - wall), buckets: batch.buckets.length, rows: batch.rows };
  return { events, kappa, lambdaBatch };
}

/** Freshness per mode from the probes (wall ms, append to first visible through HTTP) and the batch schedule's staleness (simulated ms). */
export function probeFreshness(probes: readonly ProbeRecord[]): { readonly wall: Partial<Record<ModeName, LatencySummary>>; readonly batchSchedule: LatencySummary | null; readonly unseen: Partial<Record<ModeName, number>> } {
  const wall: Partial<Record<ModeName, LatencySummary>> = {};
  const unseen: Partial<Record<ModeName, number>> = {};
  for (const mode of MODE_NAMES) {
    const h = new LatencyHistogram();
    for (const p of probes) {
      const v = p.visibleAfterWallMs[mode];
      if (v === undefined) unseen[mode] = (unseen[mode] ?? 0) + 1;
      else h.record(v);
    }
    const s = h.summary();
    if (s.count > 0) wall[mode] = s;
  }
  const staleness = new LatencyHistogram();
  for (const p of probes) if (p.batchStalenessMs !== undefined) staleness.record(p.batchStalenessMs);
  const s = staleness.summary();
  return { wall, batchSchedule: s.count > 0 ? s : null, unseen };
}

function iso(t: number): string {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}
