import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import { startMetricsServer } from '../../infra/metrics/metrics-http-server.ts';
import { speedMetrics } from '../../speed/speed-metrics.ts';
import { openLogAndViews, openObjectStore } from '../../infra/adapters.ts';
import { assertRetiringNamespace, DEFAULT_SPEED_RETENTION_MS, RETIRING_NAMESPACE } from '../../speed/speed-retention.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { BadRequestError } from '../../shared/errors.ts';
import type { ViewStore } from '../../shared/ports/view-store.ts';
import { KAPPA_ALIAS } from '../../speed/kappa-version.ts';
import { AlertPublisher, alertsTopicOf, NO_BATCH, schedulePublishing } from '../../speed/alert-publisher.ts';
import { QueryService } from '../../serving/query-service.ts';
import { DEFAULT_MAX_BUFFERED_RECORDS } from '../../speed/buffer-bound.ts';
import { formatDuration } from '../../shared/metrics/format-duration.ts';
import { configFrom, intOption, type Command } from '../command.ts';
import { formatCount, Progress } from '../progress.ts';
import { ensureEventsTopic } from '../events-topic.ts';
import { hostStreamJob } from '../hosted-stream-job.ts';
import { startSpeedRetirement } from '../speed-retirement.ts';
import { assertNoCheckpoints, START_VALUES, startOption } from '../start-position.ts';
import { SAVEPOINT_START_OPTIONS, savepointStartOf, startFromSavepoint } from '../savepoint-start.ts';

/** Records per batch `lk speed` takes from the log. */
const MAX_BATCH_RECORDS = 5_000;

/** `lk speed`: the Lambda speed layer (or the live Kappa job) as a long-lived process. */
export const speedCommand: Command = {
  name: 'speed',
  summary: 'run the streaming job continuously (Lambda speed layer, or the live Kappa job with --namespace kappa_vN)',
  details: `
Consumes the raw-events topic with a consumer group, runs the shared transform incrementally and
upserts window results into the view store together with a checkpoint (exactly-once views).
Invalid records go to <topic>.dead-letter and too-late events to <topic>.late, with headers naming
the reason and the source partition and offset: exactly once per source offset, on the partition of
their source record (the side topics get the events topic's partition count). Start several
processes with the same --group to share the partitions. Stops cleanly on Ctrl-C.

A namespace other than "speed" must exist (lk replay builds kappa_vN; this continues it live);
--create builds a new one from the start of the log instead. Side outputs have one owner: they are
on by default for the "speed" namespace (the Lambda speed layer) and off for a Kappa version; give
--side-outputs to the live Kappa job when it runs alone, without a speed layer.

The speed layer retires its panes once the batch layer covers them: every minute it reads the
batch manifest, and drops panes of buckets more than --retention-ms below the batch horizon (never
one a restart could still need), so its store holds the recent hours, not the whole history.
\`mode=speed\` queries answer for that retention only. A Kappa version keeps its whole history.

--from savepoint:<id> starts a fresh namespace (e.g. --namespace speed_v2) from a savepoint: the
views whose definition is unchanged resume from its checkpoints, panes and dedup ids; views it
lacks are built from --new-views-from (default earliest: the job reads those partitions from there,
the resumed views skipping what they hold); a view whose definition changed is refused, naming
what changed, unless --rebuild-changed builds it again like a new one.

On the embedded view store (a DuckDB file, one process at a time) nothing else can open the store
while this runs: \`lk run\` hosts the speed layer, the batch schedule, the Kappa job and serving in
one process.

With --alerts it also publishes the pipeline's alerts (docs/pipelines.md, "Alerts") of the
windows that became final to <topic>.alerts, exactly once per alert; run it on one member of the
group (a second publisher fences the first).`,
  options: {
    namespace: { type: 'string', valueName: 'NAME', description: 'view-store namespace to write', default: 'speed' },
    from: { type: 'string', valueName: 'POS', description: `where to start: ${START_VALUES} (the stored checkpoints, else the earliest offset); a position other than checkpoint only for a namespace without checkpoints; savepoint:<id> seeds a fresh namespace from a savepoint (lk savepoint take)`, default: 'checkpoint' },
    create: { type: 'boolean', description: 'create the namespace if it does not exist (built from the start of the log)' },
    'side-outputs': { type: 'boolean', description: 'write the dead-letter and late topics (the default for the speed namespace only)' },
    'no-side-outputs': { type: 'boolean', description: 'do not write the dead-letter and late topics (another job over the same log writes them)' },
    group: { type: 'string', valueName: 'ID', description: 'consumer group id', default: 'lk-<namespace>' },
    'store-retry-ms': { type: 'string', valueName: 'MS', description: 'how long to retry a view-store commit while the store is unavailable before failing (consuming pauses meanwhile; 0 = fail at once)', default: '60000' },
    'log-retry-ms': { type: 'string', valueName: 'MS', description: 'how long to retry appending dead-letter and late records while the log (broker) is unavailable before failing (0 = fail at once)', default: '60000' },
    'metrics-port': { type: 'string', valueName: 'N', description: 'serve Prometheus /metrics and /ready (caught up: no partition lags) on this port (0: a free one; default: none)' },
    'retention-ms': { type: 'string', valueName: 'MS', description: 'keep panes the batch layer covers this long below its horizon, then drop them (speed namespace only)', default: String(DEFAULT_SPEED_RETENTION_MS) },
    'no-retire': { type: 'boolean', description: 'keep every pane of the speed namespace (do not read the batch manifest)' },
    ...SAVEPOINT_START_OPTIONS,
    alerts: { type: 'boolean', description: "publish the pipeline's alerts to <topic>.alerts (on one member of the group)" },
    'commit-interval-ms': { type: 'string', valueName: 'MS', description: 'longest wait before processed records are committed (visible); batches arriving meanwhile share a commit', default: '100' },
    'max-buffered-records': {
      type: 'string',
      valueName: 'N',
      description: 'memory bound: most records processed and not yet visible; consuming pauses above it (backpressure: the backlog stays in the log as lag)',
      default: String(DEFAULT_MAX_BUFFERED_RECORDS),
    },
  },
  async run(options, env) {
    const namespace = (options.namespace as string | undefined) ?? 'speed';
    if (options['retention-ms'] !== undefined) {
      if (options['no-retire']) throw new BadRequestError('--retention-ms', 'contradicts --no-retire: give one of them');
      assertRetiringNamespace(namespace);
    }
    // Retirement reads the batch manifest, so the object store is configured (and checked) only when it runs.
    const retire = namespace === RETIRING_NAMESPACE && !options['no-retire'];
    const start = startOption(options, { kind: 'checkpoint' }, true);
    const fromSavepoint = savepointStartOf(options, start.kind === 'savepoint' ? start.id : undefined);
    // Savepoints and the batch manifest are in the object store: configured (and checked) only when used.
    const config = await configFrom(options, retire || fromSavepoint ? ['log', 'viewStore', 'objectStore'] : ['log', 'viewStore']);
    if (options['side-outputs'] && options['no-side-outputs']) throw new BadRequestError('--side-outputs', 'contradicts --no-side-outputs: give one of them');
    // The speed layer owns the side outputs; a Kappa version continuing live would write the same records again.
    const sideOutputs = options['side-outputs'] ? true : options['no-side-outputs'] ? false : namespace === 'speed';
    // Checked before any service is touched: a bad value creates no topic or namespace.
    const commitIntervalMs = intOption(options, 'commit-interval-ms', 1, 600_000, 100);
    const storeRetryMs = intOption(options, 'store-retry-ms', 0, 86_400_000, 60_000);
    const logRetryMs = intOption(options, 'log-retry-ms', 0, 86_400_000, 60_000);
    // At least one batch (5,000 records): a smaller bound could never take one.
    const maxBufferedRecords = intOption(options, 'max-buffered-records', MAX_BATCH_RECORDS, 100_000_000, DEFAULT_MAX_BUFFERED_RECORDS);
    const retentionMs = intOption(options, 'retention-ms', 0, 365 * 86_400_000, DEFAULT_SPEED_RETENTION_MS);
    const metricsPort = options['metrics-port'] === undefined ? undefined : intOption(options, 'metrics-port', 0, 65_535);
    const pipeline = compilePipeline(config.pipeline);
    const adapters = await openLogAndViews(config);
    const registry = metricsPort === undefined ? undefined : prometheusMetrics();
    const metrics = registry && speedMetrics(registry, pipeline.config.lateness);
    let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
    let retirement: { stop(): Promise<void> } | undefined;
    let objects: Awaited<ReturnType<typeof openObjectStore>> | undefined;
    let alerting: { stop(): Promise<void> } | undefined;
    try {
      if (registry) {
        metricsServer = await startMetricsServer(registry, { host: config.serving.host, port: metricsPort!, ready: () => metrics!.caughtUp() });
        env.err(`speed: metrics on ${metricsServer.url}/metrics`);
      }
      // A savepoint starts a fresh namespace (and refuses one with checkpoints itself).
      if (namespace !== 'speed' && !options.create && !fromSavepoint) await requireNamespace(adapters.views, namespace);
      await assertNoCheckpoints(adapters.views, namespace, start);
      await ensureEventsTopic(adapters.log, config, (line) => env.err(`speed: ${line}`));
      if (fromSavepoint) await startFromSavepoint({ config, log: adapters.log, views: adapters.views, pipeline }, fromSavepoint, namespace, (line) => env.err(`speed: ${line}`));
      const progress = new Progress();
      if (retire) {
        objects = await openObjectStore(config);
        retirement = startSpeedRetirement(adapters.views, objects, pipeline, retentionMs, (line) => env.err(`speed: ${line}`));
      }
      if (options.alerts) {
        if (pipeline.alerts.length === 0) throw new BadRequestError('--alerts', 'the pipeline declares no alert rules (add `alerts` to it, docs/pipelines.md)');
        const source = new QueryService({ pipeline, viewStore: adapters.views, batch: NO_BATCH }, { speedNamespace: namespace });
        // Mode speed over this job's own namespace (speedNamespace), whatever its name.
        const publisher = await AlertPublisher.open({ log: adapters.log, eventsTopic: config.topics.events, source, mode: 'speed' });
        alerting = schedulePublishing(publisher, {
          onPublished: (alerts) => env.err(`speed: ${alerts.length} alert${alerts.length === 1 ? '' : 's'} to ${alertsTopicOf(config.topics.events)}`),
          onError: (err) => env.err(`speed: could not publish alerts (${err.message})`),
        });
      }
      const hosted = hostStreamJob(
        { log: adapters.log, views: adapters.views, pipeline, topics: config.topics },
        {
          namespace,
          groupId: (options.group as string | undefined) ?? `lk-${namespace}`,
          // Partitions without a checkpoint (none stored, none in the savepoint) start at the earliest offset.
          from: start.kind === 'checkpoint' || start.kind === 'savepoint' ? { kind: 'earliest' } : start,
          sideOutputs,
          commitIntervalMs,
          maxBatchRecords: MAX_BATCH_RECORDS,
          maxBufferedRecords,
          storeRetryMs,
          onStoreRetry: (err, waitMs) => env.err(`speed: view store unavailable (${err.message}); retrying the commit in ${waitMs} ms`),
          logRetryMs,
          onLogRetry: (err, waitMs) => env.err(`speed: log unavailable (${err.message}); retrying the side outputs in ${waitMs} ms`),
        },
        {
          signal: env.signal,
          onCommit: (p, records) => {
            metrics?.onCommit(p);
            progress.update(`speed: ${formatCount(records)} records, partition ${p.partition} at ${p.nextOffset}/${p.highWatermark}, valid ${formatCount(p.totals.valid)}, dead-letter ${p.totals.deadLetter}, late ${p.totals.tooLate}, dup ${p.totals.duplicate}`);
          },
          onStarted: () => env.err(`speed: consuming ${config.topics.events} into namespace ${namespace}, side outputs ${sideOutputs ? 'on' : 'off'} (Ctrl-C to stop)`),
          onRestart: (err) => env.err(`speed: ${err.message}; restarting from the stored checkpoints`),
        },
      );
      metrics?.watchFlow(() => hosted.flow());
      const { records, freshness: f } = await hosted.done;
      progress.done(`speed: stopped after ${formatCount(records)} records; freshness p50 ${formatDuration(f.p50Ms)}, p99 ${formatDuration(f.p99Ms)}`);
      return 0;
    } finally {
      await alerting?.stop();
      await retirement?.stop();
      await objects?.close();
      await metricsServer?.close();
      await adapters.close();
    }
  },
};

/** Refuses a namespace that does not exist: a mistyped version would silently be built again from offset 0. */
async function requireNamespace(views: ViewStore, namespace: string): Promise<void> {
  const existing = (await views.listNamespaces()).sort();
  if (existing.includes(namespace)) return;
  const alias = await views.getAlias(KAPPA_ALIAS);
  throw new BadRequestError(
    '--namespace',
    `view namespace "${namespace}" does not exist (existing: ${existing.join(', ') || 'none'}${alias ? `; ${KAPPA_ALIAS} serves ${alias}` : ''}): ` +
      'build a Kappa version with lk replay, or pass --create to build this one from the start of the log',
  );
}
