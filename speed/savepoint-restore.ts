import type { Pipeline } from '../shared/compute/pipeline.ts';
import { planRestore, restoreCommits, type RestorePlan } from '../shared/compute/savepoint-plan.ts';
import type { TopicNames } from '../shared/config.ts';
import { SavepointError } from '../shared/errors.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { readDescriptor, readState } from './savepoint-store.ts';
import { startOffsets } from './start-offsets.ts';
import type { StreamStart } from './stream-job.ts';

export interface RestoreDeps {
  readonly views: ViewStore;
  readonly objects: ObjectStore;
  readonly log: EventLog;
  readonly pipeline: Pipeline;
  readonly topics: TopicNames;
}

export interface RestoreOptions {
  /** The namespace to seed: new, or without checkpoints. */
  readonly namespace: string;
  /** Where views the savepoint lacks (or changed ones rebuilt) start (default earliest). */
  readonly newViewsFrom?: StreamStart;
  /** Rebuild views whose definition changed since the savepoint, instead of refusing them. */
  readonly rebuildChanged?: boolean;
}

export interface RestoreResult extends RestorePlan {
  readonly savepoint: string;
  /** The savepoint's partitions, each at its checkpoint (or at the new views' start, catching up). */
  readonly partitions: number;
}

/**
 * Seeds a fresh namespace from a savepoint, so a stream job started on it resumes where the
 * savepoint's job was: per checkpointed partition, the resumed views' panes, the dedup ids and the
 * checkpoint, in one commit per partition. Views the savepoint lacks start at `newViewsFrom`
 * (savepoint-plan.ts: while they catch up, the resumed views skip the records they hold already).
 * Everything is checked before the namespace is touched.
 */
export async function restoreSavepoint(deps: RestoreDeps, id: string, options: RestoreOptions): Promise<RestoreResult> {
  const { views, objects, log, pipeline, topics } = deps;
  const descriptor = await readDescriptor(objects, id);
  const plan = planRestore(descriptor, pipeline, options.rebuildChanged ?? false);
  if (descriptor.topic !== topics.events) {
    throw new SavepointError(`savepoint ${id} was taken from topic ${descriptor.topic}, and this job reads ${topics.events}: offsets belong to one topic; use the same LK_TOPIC`);
  }
  const ends = await log.endOffsets(topics.events);
  if (ends.size !== descriptor.partitionCount) {
    throw new SavepointError(`savepoint ${id} was taken with ${descriptor.partitionCount} partitions of ${topics.events}, which now has ${ends.size}: keys would be in other partitions, so its state cannot be resumed; rebuild the views with lk replay`);
  }
  if ((await views.listNamespaces()).includes(options.namespace) && (await views.checkpoints(options.namespace)).size > 0) {
    throw new SavepointError(
      `namespace "${options.namespace}" already has checkpoints: a savepoint starts a fresh namespace; to go on with this one, leave --from out (it resumes from its checkpoints); to start from the savepoint, give another --namespace`,
    );
  }
  const state = await readState(objects, descriptor);
  const building = plan.added.length + plan.rebuilt.length > 0;
  const newStarts = building ? await startOffsets(log, topics.events, options.newViewsFrom ?? { kind: 'earliest' }) : undefined;
  const commits = restoreCommits(descriptor, state, plan, newStarts);
  await views.ensureNamespace(options.namespace);
  await views.commit(options.namespace, commits);
  return { ...plan, savepoint: id, partitions: commits.length };
}
