import { PartitionProcessor } from '../shared/compute/partition-processor.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { SAVEPOINT_FORMAT, SAVEPOINT_STATE_FORMAT, SAVEPOINT_VERSION, type SavepointDescriptor, type SavepointView } from '../shared/compute/savepoint-format.ts';
import { viewFingerprint, viewSignatures } from '../shared/compute/view-signature.ts';
import { SavepointError } from '../shared/errors.ts';
import { newRunId } from '../shared/run-id.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { putSavepoint } from './savepoint-store.ts';

export interface TakeSavepointDeps {
  readonly views: ViewStore;
  readonly objects: ObjectStore;
  /** The pipeline the namespace's job runs: its views' fingerprints are recorded. */
  readonly pipeline: Pipeline;
}

export interface TakeSavepointOptions {
  readonly namespace: string;
  readonly topic: string;
  readonly partitionCount: number;
  /** The pipeline file, recorded for people. */
  readonly pipelineName: string;
  readonly now?: Date;
  readonly random?: () => number;
}

/**
 * Takes a savepoint of a namespace: one read of the store's committed state (ViewStore.
 * committedState: one transaction), so every partition's panes and ids are those of its
 * checkpoint even while a job keeps committing; partitions may be at different points in the log,
 * each at its own checkpoint, as a restart would find them. Every pane is copied (the final ones,
 * which are the views so far, and the open ones, which are the job's state), with the ids a
 * restore needs.
 */
export async function takeSavepoint(deps: TakeSavepointDeps, options: TakeSavepointOptions): Promise<SavepointDescriptor> {
  const { views, objects, pipeline } = deps;
  const namespace = options.namespace;
  const parts = await views.committedState(namespace, (cp) => ({ minBucket: Number.MIN_SAFE_INTEGER, idsSince: PartitionProcessor.dedupCutoff(pipeline, cp) }));
  if (parts.length === 0) throw new SavepointError(`namespace "${namespace}" has no checkpoint yet: nothing to save (start its job, lk speed, and take the savepoint once it has committed)`);
  const signatures = viewSignatures(pipeline);
  const counts = new Map(Object.keys(signatures).map((v) => [v, { panes: 0, openPanes: 0 }]));
  for (const { checkpoint, panes } of parts) {
    for (const pane of panes) {
      const c = counts.get(pane.view);
      if (!c) {
        throw new SavepointError(`namespace "${namespace}" holds panes of view "${pane.view}", which the pipeline lacks (views: ${[...counts.keys()].join(', ')}): take the savepoint with the pipeline its job runs (--pipeline)`);
      }
      c.panes++;
      if (PartitionProcessor.needsRestore(pipeline, checkpoint, pane)) c.openPanes++;
    }
  }
  const now = options.now ?? new Date();
  const id = newRunId(now, options.random, 'sp');
  const savedViews: Record<string, SavepointView> = {};
  for (const [name, signature] of Object.entries(signatures)) savedViews[name] = { fingerprint: viewFingerprint(signature), signature, ...counts.get(name)! };
  const { config } = pipeline;
  return putSavepoint(
    objects,
    {
      format: SAVEPOINT_FORMAT,
      version: SAVEPOINT_VERSION,
      id,
      createdAt: now.toISOString(),
      pipeline: options.pipelineName,
      namespace,
      topic: options.topic,
      partitionCount: options.partitionCount,
      bucketMs: config.bucketMs,
      lateness: config.lateness,
      dedupRetentionMs: config.dedupRetentionMs,
      views: savedViews,
      partitions: parts.map((p) => ({ partition: p.checkpoint.partition, checkpoint: p.checkpoint, panes: p.panes.length, ids: p.seen.ids.length })),
    },
    {
      format: SAVEPOINT_STATE_FORMAT,
      version: SAVEPOINT_VERSION,
      id,
      partitions: parts.map((p) => ({ partition: p.checkpoint.partition, panes: p.panes.map(({ view, key, start, end, bucket, acc }) => ({ view, key, start, end, bucket, acc })), seen: p.seen })),
    },
  );
}
