import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCronExpression, DEFAULT_DAILY_CRON, DEFAULT_HOURLY_CRON, hourlyCronAfter } from '../../batch/batch-schedule.ts';
import { batchMetrics } from '../../batch/batch-metrics.ts';
import { readManifest } from '../../batch/batch-manifest.ts';
import { openAdapters } from '../../infra/adapters.ts';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';
import { LockHeldError, ProcessLock } from '../../infra/embedded/process-lock.ts';
import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../../shared/config.ts';
import { BadRequestError, PlatformRunningError } from '../../shared/errors.ts';
import type { EventLog } from '../../shared/ports/event-log.ts';
import { runKappaReplay } from '../../speed/kappa-replay.ts';
import { ReplayProgressReporter } from '../../speed/replay-progress.ts';
import { speedMetrics } from '../../speed/speed-metrics.ts';
import { DEFAULT_SPEED_RETENTION_MS } from '../../speed/speed-retention.ts';
import type { StreamProgress } from '../../speed/stream-job.ts';
import { hostBatchSchedule } from '../batch-schedule-host.ts';
import { configFrom, intOption, type Command, type CommandEnv, type OptionSpec, type ParsedOptions } from '../command.ts';
import { printVerdict, withGateInputs } from '../cutover-options.ts';
import { ensureEventsTopic } from '../events-topic.ts';
import { hostStreamJob } from '../hosted-stream-job.ts';
import { AlertPublisher, alertsTopicOf, NO_BATCH, schedulePublishing } from '../../speed/alert-publisher.ts';
import { QueryService } from '../../serving/query-service.ts';
import { hostLiveKappaJob } from '../live-kappa-host.ts';
import { formatCount, Progress } from '../progress.ts';
import { startServing } from '../serving-host.ts';
import { startSpeedRetirement } from '../speed-retirement.ts';
import { serveCommand, servingOptionsFrom } from './serve-command.ts';

/** What `lk run` hosts: Lambda (speed layer, batch schedule), Kappa (the live Kappa job), or both; serving always. */
export type PlatformMode = 'lambda' | 'kappa' | 'both';
const MODES: readonly PlatformMode[] = ['lambda', 'kappa', 'both'];

/** The lock file of a data dir a platform runs on (the embedded view store is one process's). */
export const RUN_LOCK_FILE = 'run.lock';

const RUN_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...serveCommand.options,
  'commit-interval-ms': { type: 'string', valueName: 'MS', description: 'stream jobs: longest wait before processed records are committed (visible)', default: '100' },
  'retention-ms': { type: 'string', valueName: 'MS', description: 'lambda/both: keep speed panes the batch layer covers this long below its horizon, then drop them', default: String(DEFAULT_SPEED_RETENTION_MS) },
  'hourly-cron': { type: 'string', valueName: 'CRON', description: 'lambda/both: when the hourly batch cycle runs (cron, UTC; default: the first minute after the straggler delay)', default: DEFAULT_HOURLY_CRON },
  'daily-cron': { type: 'string', valueName: 'CRON', description: 'lambda/both: when the previous day is recomputed (cron, UTC)', default: DEFAULT_DAILY_CRON },
  'straggler-delay-ms': { type: 'string', valueName: 'MS', description: 'lambda/both: an hour is complete once the archived watermark is this far past its end. Env: LK_STRAGGLER_DELAY_MS', default: '300000' },
  backfill: { type: 'boolean', description: 'kappa/both: once running, replay the log into a new Kappa version and cut over to it through the correctness gate (as lk replay); the live job follows' },
};

const DETAILS = `
One process hosts the platform on one set of adapters (one view store: on the embedded default the
DuckDB file, which only one process may open), so the embedded platform streams, recomputes and
answers queries at once:

  lambda   the speed layer (namespace speed, with the dead-letter and late topics), the batch
           schedule (archive + hourly and daily recompute, catching up at start) and the HTTP API
  kappa    the live Kappa job (the version the kappa alias serves; kappa_v1 is created when none is,
           with the side outputs) and the HTTP API
  both     all of them (the speed layer owns the side outputs)

Append from another shell with \`lk ingest --data-dir DIR --input FILE\` (the embedded log takes
appends from another process); the jobs pick the records up within milliseconds. The HTTP API is
\`lk serve\`'s (see lk serve --help), and its /ready also waits for the jobs to catch up with the
log and, with the batch schedule, for the catch-up cycle.

Kappa backfill: --backfill replays the log into a new version once the jobs run and cuts over
through the gate lk replay uses; with LK_ADMIN_TOKEN set, POST /v1/admin/cutover?version=kappa_vN
and /v1/admin/rollback move the alias. The live Kappa job follows the alias in every case (within
a second), continuing the version it names from its checkpoints. \`lk replay\` itself cannot open
the embedded store while \`lk run\` holds it: stop lk run, run lk replay, start lk run again.

A second \`lk run\` (or lk speed, lk serve, lk replay) on the same data dir is refused, naming the
process that holds it. Ctrl-C or SIGTERM stops consuming, commits what was read, waits for a
running batch cycle, closes the server and exits 0; after a crash (SIGKILL) a restart resumes from
the stored checkpoints, the batch manifest and the archiver's progress.

Example: lk run both --port 8080   then   lk ingest --input events.jsonl`;

/** One mode of `lk run`. */
function modeCommand(mode: PlatformMode, summary: string): Command {
  return { name: `run ${mode}`, summary, details: DETAILS, options: RUN_OPTIONS, run: (options, env) => runPlatform(mode, options, env) };
}

/** `lk run lambda | kappa | both`: the platform in one long-lived process. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run the platform continuously in one process: lambda (speed + batch schedule), kappa (live Kappa job) or both, with the HTTP API',
  details: DETAILS,
  options: {},
  subcommands: [
    modeCommand('lambda', 'the speed layer, the batch schedule and the HTTP API in one process'),
    modeCommand('kappa', 'the live Kappa job and the HTTP API in one process'),
    modeCommand('both', 'the speed layer, the batch schedule, the live Kappa job and the HTTP API in one process'),
  ],
  async run() {
    throw new BadRequestError('mode', `give one of ${MODES.join(', ')}: lk run lambda | kappa | both (lk run both --help)`);
  },
};

/** A job `lk run` hosts: its name in progress lines and /ready, where it is, and its end. */
interface HostedJob {
  readonly name: () => string;
  readonly positions: () => ReadonlyMap<number, number>;
  readonly done: Promise<unknown>;
}

async function runPlatform(mode: PlatformMode, options: ParsedOptions, env: CommandEnv): Promise<number> {
  const config = await configFrom(options);
  const lambda = mode !== 'kappa';
  const kappa = mode !== 'lambda';
  const onlyFor = (name: string, applies: boolean, modes: string) => {
    if (!applies && options[name] !== undefined) throw new BadRequestError(`--${name}`, `only applies to lk run ${modes}`);
  };
  for (const name of ['retention-ms', 'hourly-cron', 'daily-cron', 'straggler-delay-ms']) onlyFor(name, lambda, 'lambda or both');
  onlyFor('backfill', kappa, 'kappa or both');
  // Every value is checked before anything is opened: a bad one starts nothing.
  const commitIntervalMs = intOption(options, 'commit-interval-ms', 1, 600_000, 100);
  const retentionMs = intOption(options, 'retention-ms', 0, 365 * 86_400_000, DEFAULT_SPEED_RETENTION_MS);
  const pipeline = compilePipeline(config.pipeline);
  const hourly = (options['hourly-cron'] as string | undefined) ?? hourlyCronAfter(config.batch.stragglerDelayMs, pipeline.config.lateness.maxOutOfOrdernessMs);
  const daily = options['daily-cron'] as string | undefined;
  assertCronExpression('--hourly-cron', hourly);
  if (daily !== undefined) assertCronExpression('--daily-cron', daily);
  const servingOptions = servingOptionsFrom(options, config);

  const say = (line: string) => env.err(`run: ${line}`);
  const lock = await lockDataDir(config, mode);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  env.signal.addEventListener('abort', onSignal, { once: true });
  if (env.signal.aborted) stop.abort();
  const closing: Array<() => Promise<void>> = [];
  const jobs: HostedJob[] = [];
  /** /ready checks of the hosted jobs besides the stream jobs (the batch schedule's catch-up). */
  const moreChecks: Array<() => Promise<Record<string, string>>> = [];
  let failure: unknown;
  /** Hosts a job: its failure stops the others, and the process then exits with it. */
  const host = (job: HostedJob) => {
    jobs.push(job);
    job.done.catch((err: unknown) => {
      failure ??= err;
      stop.abort();
    });
  };
  try {
    const adapters = await openAdapters(config);
    closing.push(() => adapters.close());
    const { log, views, objects } = adapters;
    await ensureEventsTopic(log, config, say);
    const deps = { log, views, pipeline, topics: config.topics };
    const progress = new Progress();
    const committed = new Map<string, number>();
    const onCommit = (name: string, p: StreamProgress, records: number) => {
      committed.set(name, records);
      progress.update(`run: ${[...committed].map(([n, r]) => `${n} ${formatCount(r)}`).join(', ')} records; ${name} partition ${p.partition} at ${p.nextOffset}/${p.highWatermark}, dead-letter ${p.totals.deadLetter}, late ${p.totals.tooLate}, dup ${p.totals.duplicate}`);
    };
    const registry = prometheusMetrics();
    // lk speed --metrics-port's per-partition metrics, for the job that owns the side outputs (one set of names per registry).
    const streamMetrics = speedMetrics(registry, pipeline.config.lateness);

    if (lambda) {
      const speed = hostStreamJob(deps, { namespace: 'speed', groupId: 'lk-speed', from: { kind: 'earliest' }, sideOutputs: true, commitIntervalMs }, {
        signal: stop.signal,
        onCommit: (p, records) => {
          streamMetrics.onCommit(p);
          onCommit('speed', p, records);
        },
        onStarted: () => say(`speed layer: consuming ${config.topics.events} into namespace speed, side outputs on`),
        onRestart: (err) => say(`speed layer: ${err.message}; restarting from the stored checkpoints`),
      });
      host({ name: () => 'speed', positions: () => speed.positions(), done: speed.done });
      // The job creates its namespace as it starts; retirement, which reads it, may look first.
      await views.ensureNamespace('speed');
      const retirement = startSpeedRetirement(views, objects, pipeline, retentionMs, (line) => say(`speed layer: ${line}`));
      closing.push(() => retirement.stop());
      const db = await DuckDb.open();
      closing.push(() => db.close());
      const metrics = batchMetrics(registry, Date.now, { horizonGauge: false });
      metrics.setHorizon((await readManifest(objects))?.horizon ?? null);
      const schedule = hostBatchSchedule(
        { log, objects, db, pipeline, topic: config.topics.events, workDir: join(config.dataDir, 'work', 'batch'), stragglerDelayMs: config.batch.stragglerDelayMs },
        { hourly, daily, metrics },
        say,
        progress,
      );
      // Before the view store and the log close: a running cycle is waited for.
      closing.push(() => schedule.stop());
      moreChecks.push(async () => ({ batch: metrics.caughtUp() ? 'ok' : 'the catch-up cycle has not finished yet' }));
    }
    if (kappa) {
      const live = await hostLiveKappaJob(deps, { from: { kind: 'earliest' }, sideOutputs: mode === 'kappa', commitIntervalMs }, {
        signal: stop.signal,
        say: (line) => say(`kappa: ${line}`),
        onCommit: (version, p, records) => {
          if (!lambda) streamMetrics.onCommit(p);
          onCommit(version, p, records);
        },
      });
      host({ name: () => live.namespace(), positions: () => live.positions(), done: live.done });
    }
    if (pipeline.alerts.length > 0) {
      // One process, one publisher: the alerts of the speed layer (or of the live Kappa version alone) to <topic>.alerts.
      const source = new QueryService({ pipeline, viewStore: views, batch: NO_BATCH });
      const publisher = await AlertPublisher.open({ log, eventsTopic: config.topics.events, source, mode: lambda ? 'speed' : 'kappa' });
      const alerting = schedulePublishing(publisher, {
        onPublished: (alerts) => say(`${alerts.length} alert${alerts.length === 1 ? '' : 's'} to ${alertsTopicOf(config.topics.events)}`),
        onError: (err) => say(`could not publish alerts (${err.message})`),
      });
      closing.push(() => alerting.stop());
    }
    const readiness = async () => {
      const checks = await streamChecks(log, config.topics.events, jobs);
      for (const more of moreChecks) Object.assign(checks, await more());
      return checks;
    };
    const server = await startServing({ config, pipeline, objects, views, log: async () => log, registry }, { ...servingOptions, moreChecks: readiness }, say);
    closing.push(() => server.close());
    await lock?.describe({ url: server.url });
    say(`lk run ${mode} is up: ${[lambda && 'speed layer, batch schedule', kappa && 'live Kappa job', `HTTP API at ${server.url}`].filter(Boolean).join(', ')}; append with \`lk ingest --data-dir ${config.dataDir} --input FILE\``);
    if (kappa && options.backfill) {
      const backfilling = backfill(config, deps, say, env, stop.signal);
      // Stopped by the signal, the replay drops its unfinished version: first thing on the way out.
      closing.push(() => backfilling);
    }

    if (!stop.signal.aborted) await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    say('stopping: the jobs commit what they read');
    await Promise.allSettled(jobs.map((j) => j.done));
    progress.done(`run: stopped${committed.size > 0 ? ` after ${[...committed].map(([n, r]) => `${n} ${formatCount(r)}`).join(', ')} records` : ''}`);
  } catch (err) {
    failure ??= err;
    stop.abort();
    await Promise.allSettled(jobs.map((j) => j.done));
  } finally {
    env.signal.removeEventListener('abort', onSignal);
    for (const close of closing.reverse()) await close().catch((err: unknown) => say(`while stopping: ${err instanceof Error ? err.message : String(err)}`));
    await lock?.release();
  }
  if (failure !== undefined) throw failure;
  return 0;
}

/** Per stream job: ok once it has made visible every record the log holds now, else how far it is behind. */
async function streamChecks(log: EventLog, topic: string, jobs: readonly HostedJob[]): Promise<Record<string, string>> {
  const end = await log.endOffsets(topic);
  const checks: Record<string, string> = {};
  for (const job of jobs) {
    const at = job.positions();
    const behind = [...end].reduce((n, [p, offset]) => n + Math.max(0, offset - (at.get(p) ?? 0)), 0);
    checks[`stream ${job.name()}`] = behind === 0 ? 'ok' : `${formatCount(behind)} records behind the log`;
  }
  return checks;
}

/**
 * Takes the data dir's run lock when a port is embedded (the DuckDB view store is one process's,
 * the embedded log's consumer groups coordinate within one process), so a second platform there
 * is refused with who holds it instead of a store error; undefined on real services.
 */
async function lockDataDir(config: PlatformConfig, mode: PlatformMode): Promise<ProcessLock | undefined> {
  if (config.log.kind !== 'embedded' && config.viewStore.kind !== 'duckdb') return undefined;
  await mkdir(config.dataDir, { recursive: true });
  const path = join(config.dataDir, RUN_LOCK_FILE);
  try {
    return await ProcessLock.acquire(path, { command: `lk run ${mode}`, started: new Date().toISOString() });
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err;
    throw new PlatformRunningError(config.dataDir, path, { pid: err.holder.pid, host: err.holder.host, command: err.holder.info.command, url: err.holder.info.url });
  }
}

/** `--backfill`: the Kappa replay beside the live jobs, cut over through the gate; the live Kappa job follows the alias. */
async function backfill(config: PlatformConfig, deps: Parameters<typeof runKappaReplay>[0], say: (line: string) => void, env: CommandEnv, signal: AbortSignal): Promise<void> {
  try {
    say('kappa backfill: replaying the log into a new version');
    const r = await withGateInputs(config, deps.pipeline, deps.log, ({ batch, late, objects }) => 
      runKappaReplay(deps, {
        cutOver: true,
        batch,
        late,
        signal,
        // /v1/status and the dashboard show it while the version builds, as for lk replay.
        progress: new ReplayProgressReporter(objects, { onError: (err) => say(`kappa backfill: progress not published (${err instanceof Error ? err.message : String(err)}); the replay goes on`) }),
      }),
    );
    if (signal.aborted) return;
    printVerdict(env, r.namespace, r.verdict, r.cutOver);
    say(`kappa backfill: ${formatCount(r.records)} records into ${r.namespace} in ${(r.elapsedMs / 1000).toFixed(1)} s; ${r.cutOver ? `kappa now serves ${r.namespace} (was ${r.previous ?? 'none'})` : `cut-over refused, ${r.previous ?? 'nothing'} keeps serving`}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    say(signal.aborted ? `kappa backfill: ${message}` : `kappa backfill failed: ${message}; the serving version is unchanged`);
  }
}
