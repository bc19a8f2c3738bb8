import { join } from 'node:path';
import { runBatch } from '../../batch/batch-job.ts';
import { assertCronExpression, DEFAULT_DAILY_CRON, DEFAULT_HOURLY_CRON, hourlyCronAfter } from '../../batch/batch-schedule.ts';
import { batchMetrics } from '../../batch/batch-metrics.ts';
import { readManifest } from '../../batch/batch-manifest.ts';
import { openEventLog, openObjectStore } from '../../infra/adapters.ts';
import { startMetricsServer } from '../../infra/metrics/metrics-http-server.ts';
import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import { DuckDb } from '../../infra/duckdb/duckdb-database.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { BadRequestError, QualityGateError } from '../../shared/errors.ts';
import { QUALITY_CHECKS, type QualityCheck } from '../../batch/quality-gate.ts';
import { configFrom, intOption, timeOption, type Command } from '../command.ts';
import { formatCount, Progress } from '../progress.ts';
import { hostBatchSchedule } from '../batch-schedule-host.ts';
import { rejectionLines } from '../rejection-lines.ts';

/** `lk batch`: recompute batch views from the master dataset, once or on a schedule. */
export const batchCommand: Command = {
  name: 'batch',
  summary: 'recompute batch views from the master dataset and publish them atomically (--schedule: hourly + daily with node-cron)',
  details: `
Once: recomputes every complete bucket (hour) of the master dataset, or those overlapping
--from/--to, and publishes by writing views/_manifest.json last; only hours with data are
computed, the hours between them are covered as empty, and the batch horizon is the end of the
contiguous covered hours. An hour is complete once the log's watermark over the archived records
(min over partitions) is at or past its end plus the straggler delay (--straggler-delay-ms, env
LK_STRAGGLER_DELAY_MS, default 300000); the hour the log is still in is left out.
--include-incomplete publishes such hours too, marked incomplete: they stay above the horizon, so
serving never calls them final. Run \`lk archive\` first to bring the log into the master dataset
(it also records the watermarks).

--schedule: a long-lived process. At start, then at minute 6 of every hour (UTC; the first minute
after the straggler delay, when the hour just ended can be complete), it archives the log and
recomputes the hours that are complete and not yet published or whose master files
changed since (late events archived after the hour was computed); at 00:30 UTC it recomputes the
previous day. Runs never overlap. A cycle only does what is stale, so restarting the process is
always safe and catches up at once.

Quality gate: before publishing, every hour is checked (pane file schema and files as stored,
input row counts against the archiver's, no null measure, no negative count or measure the view
declares non-negative, windows within the hour's reach, and the view's bounds on the hour's
dead-letter share and on drift against the published hour). An hour that fails is not published:
its previous version keeps serving, the reasons go to the manifest's "rejected" list, stderr and
/v1/status, and a one-off run exits 1 (the other hours are published). --schedule reports it and
keeps running (metric lk_batch_quality_failures_total{view,check}); the next cycle tries the hour
again. --skip-quality publishes a one-off run without the gate, for data you have checked;
--accept-check measures,drift publishes hours that fail only those checks.

Example: lk batch --schedule --services real --hourly-cron '*/15 * * * *'`,
  options: {
    from: { type: 'string', valueName: 'TIME', description: 'first hour to recompute (ISO-8601 with zone or epoch ms)' },
    to: { type: 'string', valueName: 'TIME', description: 'end of the range (exclusive)' },
    schedule: { type: 'boolean', description: 'run hourly and daily cycles until Ctrl-C' },
    'hourly-cron': {
      type: 'string',
      valueName: 'CRON',
      description: 'with --schedule: when the hourly cycle runs (cron, UTC; default: the first minute after the straggler delay, then the hour just ended is complete)',
      default: DEFAULT_HOURLY_CRON,
    },
    'daily-cron': { type: 'string', valueName: 'CRON', description: 'with --schedule: when the previous day is recomputed (cron, UTC)', default: DEFAULT_DAILY_CRON },
    'straggler-delay-ms': { type: 'string', valueName: 'MS', description: 'an hour is complete once the archived watermark is this far past its end. Env: LK_STRAGGLER_DELAY_MS', default: '300000' },
    'metrics-port': { type: 'string', valueName: 'N', description: 'with --schedule: serve Prometheus /metrics (cycles, durations, horizon and its lag) and /ready (the catch-up cycle finished) on this port (0: a free one; default: none)' },
    'include-incomplete': { type: 'boolean', description: 'once: also publish incomplete hours, marked incomplete (above the horizon, never final)' },
    'skip-quality': { type: 'boolean', description: 'once: publish without the quality gate (for hours it rejected whose data you accept)' },
    'accept-check': { type: 'string', valueName: 'CHECKS', description: `once: publish hours that fail only these checks (comma-separated: ${QUALITY_CHECKS.join(', ')})` },
  },
  async run(options, env) {
    const config = await configFrom(options, ['log', 'objectStore']);
    const hourlyCron = options['hourly-cron'] as string | undefined;
    const dailyCron = options['daily-cron'] as string | undefined;
    if (!options.schedule && (hourlyCron !== undefined || dailyCron !== undefined)) {
      throw new BadRequestError(hourlyCron !== undefined ? '--hourly-cron' : '--daily-cron', 'only applies with --schedule');
    }
    if (hourlyCron !== undefined) assertCronExpression('--hourly-cron', hourlyCron);
    if (dailyCron !== undefined) assertCronExpression('--daily-cron', dailyCron);
    if (!options.schedule && options['metrics-port'] !== undefined) throw new BadRequestError('--metrics-port', 'only applies with --schedule: a one-off run ends before a scrape');
    const metricsPort = options['metrics-port'] === undefined ? undefined : intOption(options, 'metrics-port', 0, 65_535);
    if (options.schedule && options['include-incomplete']) throw new BadRequestError('--include-incomplete', 'only applies to a one-off run: a schedule publishes complete hours');
    if (options.schedule && options['skip-quality']) throw new BadRequestError('--skip-quality', 'only applies to a one-off run: accept the hours the gate rejected with lk batch --from/--to --skip-quality');
    if (options.schedule && options['accept-check'] !== undefined) throw new BadRequestError('--accept-check', 'only applies to a one-off run');
    const acceptChecks = acceptedChecks(options['accept-check'] as string | undefined);
    const { stragglerDelayMs } = config.batch;
    const pipeline = compilePipeline(config.pipeline);
    const hourly = hourlyCron ?? hourlyCronAfter(stragglerDelayMs, pipeline.config.lateness.maxOutOfOrdernessMs);
    const objects = await openObjectStore(config);
    const db = await DuckDb.open();
    const workDir = join(config.dataDir, 'work', 'batch');
    const progress = new Progress();
    try {
      if (options.schedule) {
        const log = await openEventLog(config);
        const registry = metricsPort === undefined ? undefined : prometheusMetrics();
        const metrics = registry && batchMetrics(registry);
        let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
        try {
          if (registry) {
            metrics!.setHorizon((await readManifest(objects))?.horizon ?? null);
            metricsServer = await startMetricsServer(registry, { host: config.serving.host, port: metricsPort!, ready: () => metrics!.caughtUp() });
            env.err(`batch: metrics on ${metricsServer.url}/metrics`);
          }
          const handle = hostBatchSchedule({ log, objects, db, pipeline, topic: config.topics.events, workDir, stragglerDelayMs }, { hourly, daily: dailyCron, metrics }, env.err, progress);
          await new Promise<void>((resolve) => env.signal.addEventListener('abort', () => resolve(), { once: true }));
          await handle.stop();
          return 0;
        } finally {
          await metricsServer?.close();
          await log.close();
        }
      }
      const from = timeOption(options, 'from');
      const to = timeOption(options, 'to');
      const r = await runBatch(
        { objects, db, pipeline, workDir, onProgress: (p) => progress.update(`batch: bucket ${p.bucketsDone}/${p.bucketsTotal}, ${formatCount(p.rowsPerSecond)} rows/s`) },
        {
          buckets: from !== undefined || to !== undefined ? { from: from ?? Number.MIN_SAFE_INTEGER, to: to ?? Number.POSITIVE_INFINITY } : 'all',
          stragglerDelayMs,
          includeIncomplete: options['include-incomplete'] === true,
          skipQuality: options['skip-quality'] === true,
          acceptChecks,
        },
      );
      for (const line of rejectionLines(r.quality.failures)) env.err(`batch: ${line}`);
      if (r.incomplete.length > 0) {
        const hours = r.incomplete.length === 1 ? `hour ${new Date(r.incomplete[0]).toISOString()} is` : `${r.incomplete.length} hours from ${new Date(r.incomplete[0]).toISOString()} are`;
        env.err(
          options['include-incomplete']
            ? `batch: ${hours} not complete; published marked incomplete (above the horizon, never final)`
            : `batch: ${hours} not complete (the log's watermark is not ${stragglerDelayMs} ms past the end yet); left out, use --include-incomplete to publish it non-final`,
        );
      }
      if (r.quality.skipped) env.err('batch: published without the quality gate (--skip-quality)');
      const accepted = r.buckets.filter((b) => !r.quality.rejected.includes(b)).length;
      progress.done(
        r.quality.rejected.length > 0
          ? `batch: ${accepted} of ${r.buckets.length} hours published, ${r.quality.rejected.length} rejected by the quality gate; horizon ${r.horizon === null ? 'none' : new Date(r.horizon).toISOString()}`
          : r.published
          ? `batch: ${r.buckets.length} hours recomputed from ${formatCount(r.rows)} master rows (${formatCount(r.events)} distinct events) in ${(r.elapsedMs / 1000).toFixed(2)} s; horizon ${r.horizon === null ? 'none' : new Date(r.horizon).toISOString()}`
          : r.incomplete.length > 0
            ? 'batch: no complete hour in range; nothing published'
            : 'batch: no master data in range; nothing published (run lk archive first)',
      );
      if (r.quality.failures.length > 0) throw new QualityGateError(r.runId, r.quality.failures);
      return 0;
    } finally {
      await db.close();
      await objects.close();
    }
  },
};


/** The checks `--accept-check` names; a BadRequestError for one the gate does not have. */
function acceptedChecks(list: string | undefined): QualityCheck[] | undefined {
  if (list === undefined) return undefined;
  const names = list.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const unknown = names.filter((c) => !(QUALITY_CHECKS as readonly string[]).includes(c));
  if (names.length === 0 || unknown.length > 0) throw new BadRequestError('--accept-check', `must name checks of the quality gate (${QUALITY_CHECKS.join(', ')}), got ${list}`);
  return names as QualityCheck[];
}
