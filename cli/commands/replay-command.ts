import { openLogAndViews } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { runKappaReplay } from '../../speed/kappa-replay.ts';
import { ReplayProgressReporter } from '../../speed/replay-progress.ts';
import { configFrom, intOption, type Command } from '../command.ts';
import { CUTOVER_OPTIONS, printVerdict, thresholdsFrom, withGateInputs } from '../cutover-options.ts';
import { startOption } from '../start-position.ts';
import { SAVEPOINT_START_OPTIONS, savepointStartOf, startFromSavepoint } from '../savepoint-start.ts';
import { formatCount, Progress } from '../progress.ts';

/** `lk replay`: the Kappa backfill into a new version of the views, then the cut-over. */
export const replayCommand: Command = {
  name: 'replay',
  summary: 'Kappa backfill: replay the log into a new version of the views, then cut serving over',
  details: `
Reads the raw-events topic from the start (or --from a time, via the log's offsets-for-times) up
to the end offsets it has when the replay starts, into a new namespace kappa_vN, then points the
"kappa" alias at it in one step. Serving in Kappa mode reads the alias, so it never sees a
half-built version. Run \`lk speed --namespace kappa_vN\` afterwards to keep the version live.

The cut-over is gated: the new version is compared with the one serving now and with the batch
layer, over the final windows each pair shares, and cut over only when the share of differing
windows is within --max-divergence (default 0: the same log and pipeline give the same windows)
and --max-batch-divergence (default 0: windows differing from batch only where too-late events
of the late topic fall are expected, and not counted).
Otherwise it exits 1 with the diff (windows differing, by how much) and leaves the version built
but unserved (\`lk cutover --version kappa_vN --force\` serves it anyway). \`lk rollback\`
switches back to the previous version in one step.

The version is bulk-loaded: each window's pane is written once, when the watermark closes its
bucket, and the store indexes everything at the end. So a replay that stops part-way cannot be
resumed: a failed replay drops its version, and one left by a crash is dropped at the next
replay's cut-over; just run lk replay again.

--from savepoint:<id> seeds the version from a savepoint instead (its unchanged views resume, new
ones are built from --new-views-from, as lk speed --from savepoint:<id> does) and replays the log
from the savepoint's offsets to the end, writing on window update: such a version is not a bulk load.`,
  options: {
    from: { type: 'string', valueName: 'POS', description: 'where the version starts: earliest, a time (ISO-8601 with zone, epoch ms; via the log\'s offsets-for-times), or savepoint:<id> (the version starts from a savepoint and replays from its offsets)', default: 'earliest' },
    ...SAVEPOINT_START_OPTIONS,
    'no-cutover': { type: 'boolean', description: 'build the version but leave the alias where it is' },
    'side-outputs': { type: 'boolean', description: 'write the dead-letter and late records the topics lack (each source offset once; off by default: they have one owner, the live job, whose writers this would fence while it runs)' },
    ...CUTOVER_OPTIONS,
    'keep-older': { type: 'string', valueName: 'N', description: 'older versions to keep besides the new and the previous one', default: '0' },
  },
  async run(options, env) {
    // The object store holds the batch layer's views the gate compares with.
    const config = await configFrom(options, ['log', 'viewStore', 'objectStore']);
    const from = startOption(options, { kind: 'earliest' }, false);
    const fromSavepoint = savepointStartOf(options, from.kind === 'savepoint' ? from.id : undefined);
    if (from.kind === 'latest') {
      // A replay reads up to the end offsets it finds at start: from there it would be empty.
      throw new BadRequestError('--from', 'latest would build an empty version (a replay stops at the end it finds when it starts); to start a version from now on, run lk speed --namespace kappa_vN --create --from latest');
    }
    const keepOlder = intOption(options, 'keep-older', 0, 100, 0);
    const thresholds = thresholdsFrom(options);
    const pipeline = compilePipeline(config.pipeline);
    const adapters = await openLogAndViews(config);
    try {
      const progress = new Progress();
      const result = await withGateInputs(config, pipeline, adapters.log, ({ batch, late, objects }) =>
        runKappaReplay(
          { log: adapters.log, views: adapters.views, pipeline, topics: config.topics },
          {
            // Partitions the savepoint has no checkpoint for start at the earliest offset.
            from: from.kind === 'checkpoint' || from.kind === 'savepoint' ? { kind: 'earliest' } : from,
            seed: fromSavepoint && ((namespace) => startFromSavepoint({ config, log: adapters.log, views: adapters.views, pipeline }, fromSavepoint, namespace, (line) => env.err(`replay: ${line}`)).then(() => undefined)),
            cutOver: !options['no-cutover'],
            keepOlder,
            sideOutputs: Boolean(options['side-outputs']),
            batch,
            late,
            thresholds,
            force: Boolean(options.force),
            // lk serve shows it in /v1/status and on the dashboard while this version builds.
            progress: new ReplayProgressReporter(objects, { onError: (err) => env.err(`replay: progress not published (${err instanceof Error ? err.message : String(err)}); the replay goes on`) }),
            onProgress: (p) => progress.update(`replay: ${formatCount(p.records)} records, partition ${p.partition} at ${p.nextOffset}/${p.highWatermark}`),
          },
        ),
      );
      printVerdict(env, result.namespace, result.verdict, result.cutOver);
      progress.done(
        `replay: ${formatCount(result.records)} records into ${result.namespace} in ${(result.elapsedMs / 1000).toFixed(1)} s (${formatCount(result.eventsPerSecond)} events/s)` +
          (result.cutOver ? `; kappa now serves ${result.namespace} (was ${result.previous ?? 'none'})` : result.verdict ? `; cut-over refused, ${result.previous ?? 'nothing'} keeps serving` : '; alias unchanged'),
      );
      env.out(JSON.stringify(result));
      // A refused cut-over is a failed check: scripts must not go on as if the version served.
      return result.verdict && !result.cutOver ? 1 : 0;
    } finally {
      await adapters.close();
    }
  },
};
