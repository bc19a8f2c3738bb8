import { openLogAndViews } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { runKappaReplay } from '../../speed/kappa-replay.ts';
import { configFrom, intOption, timeOption, type Command } from '../command.ts';
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

The version is bulk-loaded: each window's pane is written once, when the watermark closes its
bucket, and the store indexes everything at the end. So a replay that stops part-way cannot be
resumed: a failed replay drops its version, and one left by a crash is dropped at the next
replay's cut-over; just run lk replay again.`,
  options: {
    from: { type: 'string', valueName: 'TIME', description: 'start at this time (ISO-8601 with zone or epoch ms) instead of the earliest offset' },
    'no-cutover': { type: 'boolean', description: 'build the version but leave the alias where it is' },
    'side-outputs': { type: 'boolean', description: 'write dead-letter and late records again (the live job already wrote them)' },
    'keep-older': { type: 'string', valueName: 'N', description: 'older versions to keep besides the new and the previous one', default: '0' },
  },
  async run(options, env) {
    const config = await configFrom(options, ['log', 'viewStore']);
    const from = timeOption(options, 'from');
    const keepOlder = intOption(options, 'keep-older', 0, 100, 0);
    const pipeline = compilePipeline(config.pipeline);
    const adapters = await openLogAndViews(config);
    try {
      const progress = new Progress();
      const result = await runKappaReplay(
        { log: adapters.log, views: adapters.views, pipeline, topics: config.topics },
        {
          from: from === undefined ? { kind: 'earliest' } : { kind: 'timestamp', timestamp: from },
          cutOver: !options['no-cutover'],
          keepOlder,
          sideOutputs: Boolean(options['side-outputs']),
          onProgress: (p) => progress.update(`replay: ${formatCount(p.records)} records, partition ${p.partition} at ${p.nextOffset}/${p.highWatermark}`),
        },
      );
      progress.done(
        `replay: ${formatCount(result.records)} records into ${result.namespace} in ${(result.elapsedMs / 1000).toFixed(1)} s (${formatCount(result.eventsPerSecond)} events/s)` +
          (result.cutOver ? `; kappa now serves ${result.namespace} (was ${result.previous ?? 'none'})` : '; alias unchanged'),
      );
      env.out(JSON.stringify(result));
      return 0;
    } finally {
      await adapters.close();
    }
  },
};
