import { openAdapters } from '../../infra/adapters.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { formatDuration } from '../../shared/metrics/format-duration.ts';
import { configFrom, intOption, type Command } from '../command.ts';
import { formatCount, Progress } from '../progress.ts';

/** `lk speed`: the Lambda speed layer (or the live Kappa job) as a long-lived process. */
export const speedCommand: Command = {
  name: 'speed',
  summary: 'run the streaming job continuously (Lambda speed layer, or the live Kappa job with --namespace kappa_vN)',
  details: `
Consumes the raw-events topic with a consumer group, runs the shared transform incrementally and
upserts window results into the view store together with a checkpoint (exactly-once views).
Invalid records go to <topic>.dead-letter and too-late events to <topic>.late, with headers naming
the reason and the source partition and offset. Start several processes with the same --group to
share the partitions. Stops cleanly on Ctrl-C.`,
  options: {
    namespace: { type: 'string', valueName: 'NAME', description: 'view-store namespace to write', default: 'speed' },
    'no-side-outputs': { type: 'boolean', description: 'do not write the dead-letter and late topics (another job over the same log writes them)' },
    group: { type: 'string', valueName: 'ID', description: 'consumer group id', default: 'lk-<namespace>' },
    'commit-interval-ms': { type: 'string', valueName: 'MS', description: 'longest wait before processed records are committed (visible); batches arriving meanwhile share a commit', default: '100' },
  },
  async run(options, env) {
    const config = configFrom(options);
    const namespace = (options.namespace as string | undefined) ?? 'speed';
    const pipeline = compilePipeline(config.pipeline);
    const adapters = await openAdapters(config);
    try {
      await adapters.log.ensureTopic(config.topics.events, config.partitions);
      const progress = new Progress();
      const job = new StreamJob(
        { log: adapters.log, views: adapters.views, pipeline, topics: config.topics },
        {
          namespace,
          groupId: (options.group as string | undefined) ?? `lk-${namespace}`,
          from: { kind: 'committed', fallback: 'earliest' },
          sideOutputs: !options['no-side-outputs'],
          commitIntervalMs: intOption(options, 'commit-interval-ms', 0, 600_000, 100),
          onCommit: (p) =>
            progress.update(`speed: ${formatCount(p.records)} records, partition ${p.partition} at ${p.nextOffset}/${p.highWatermark}, valid ${formatCount(p.totals.valid)}, dead-letter ${p.totals.deadLetter}, late ${p.totals.tooLate}, dup ${p.totals.duplicate}`),
        },
      );
      const sub = await job.start();
      env.err(`speed: consuming ${config.topics.events} into namespace ${namespace} (Ctrl-C to stop)`);
      env.signal.addEventListener('abort', () => void sub.stop(), { once: true });
      await sub.done;
      const f = job.freshness.summary();
      progress.done(`speed: stopped after ${formatCount(job.records)} records; freshness p50 ${formatDuration(f.p50Ms)}, p99 ${formatDuration(f.p99Ms)}`);
      return 0;
    } finally {
      await adapters.close();
    }
  },
};
