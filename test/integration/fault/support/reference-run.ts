import type { Adapters } from '../../../../infra/adapters.ts';
import type { Pipeline } from '../../../../shared/compute/pipeline.ts';
import type { TopicNames } from '../../../../shared/config.ts';
import { StreamJob } from '../../../../speed/stream-job.ts';

/**
 * The uninterrupted run the faulty one must equal: the same stream job, in this process, over the
 * whole log as it is now, from the start to the end, into `namespace`. Side outputs only when
 * asked, and then into the side topics `topics` names (not the run under test's).
 */
export async function referenceRun(adapters: Adapters, pipeline: Pipeline, topics: TopicNames, namespace: string, options: { readonly sideOutputs?: boolean } = {}): Promise<void> {
  const job = new StreamJob(
    { log: adapters.log, views: adapters.views, pipeline, topics },
    { namespace, from: { kind: 'earliest' }, stopAtEnd: true, sideOutputs: options.sideOutputs ?? false },
  );
  await (await job.start()).done;
}
