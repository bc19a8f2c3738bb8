import { ChangedViewError, SavepointError } from '../errors.ts';
import type { PartitionCommit } from '../ports/view-store.ts';
import type { CatchUp } from './catch-up.ts';
import { emptyStats, type PartitionCheckpoint } from './partition-processor.ts';
import type { Pipeline } from './pipeline.ts';
import type { SavepointDescriptor, SavepointState } from './savepoint-format.ts';
import { signatureChanges, viewFingerprint, viewSignatures } from './view-signature.ts';

/** What a pipeline started from a savepoint does with each of its views, and with the savepoint's others. */
export interface RestorePlan {
  /** Same definition as in the savepoint: their panes, checkpoints and ids are restored, and they go on from the savepoint's offsets. */
  readonly resumed: readonly string[];
  /** Not in the savepoint: built from the new-views start position. */
  readonly added: readonly string[];
  /** Changed since the savepoint and rebuilt (--rebuild-changed): built like new views, the savepoint's panes left out. */
  readonly rebuilt: readonly string[];
  /** In the savepoint, not in the pipeline: left out. */
  readonly dropped: readonly string[];
}

/**
 * Compares the pipeline's views with the savepoint's by fingerprint. A view of the same name with
 * another definition is refused (ChangedViewError, naming what changed: key, filter, window,
 * measures) unless `rebuildChanged`; settings every view depends on (bucket size, lateness, dedup
 * retention) must not have changed at all.
 */
export function planRestore(savepoint: SavepointDescriptor, pipeline: Pipeline, rebuildChanged: boolean): RestorePlan {
  const { config } = pipeline;
  const settings: string[] = [];
  if (savepoint.bucketMs !== config.bucketMs) settings.push(`bucketMs ${savepoint.bucketMs} -> ${config.bucketMs}`);
  if (JSON.stringify(sortedKeys(savepoint.lateness)) !== JSON.stringify(sortedKeys(config.lateness))) settings.push(`lateness ${JSON.stringify(savepoint.lateness)} -> ${JSON.stringify(config.lateness)}`);
  if (savepoint.dedupRetentionMs !== config.dedupRetentionMs) settings.push(`dedupRetentionMs ${savepoint.dedupRetentionMs} -> ${config.dedupRetentionMs}`);
  if (settings.length > 0) {
    throw new SavepointError(`savepoint ${savepoint.id}: the pipeline's ${settings.join(', ')} changed, which every view's panes and checkpoints depend on: build the views again from the log (lk replay, or lk speed --namespace NAME --create)`);
  }
  const signatures = viewSignatures(pipeline);
  const resumed: string[] = [];
  const added: string[] = [];
  const rebuilt: string[] = [];
  const changes: Record<string, string[]> = {};
  for (const [name, signature] of Object.entries(signatures)) {
    const saved = savepoint.views[name];
    if (saved === undefined) added.push(name);
    else if (saved.fingerprint === viewFingerprint(signature)) resumed.push(name);
    else {
      const parts = signatureChanges(saved.signature, signature);
      // A fingerprint from another build's encoding of the same definition still differs: say so rather than name no part.
      changes[name] = parts.length > 0 ? parts : ['its fingerprint'];
      rebuilt.push(name);
    }
  }
  if (rebuilt.length > 0 && !rebuildChanged) throw new ChangedViewError(savepoint.id, changes);
  const dropped = Object.keys(savepoint.views).filter((n) => signatures[n] === undefined);
  return { resumed, added, rebuilt, dropped };
}

/**
 * The commits that seed a fresh namespace from a savepoint, one per checkpointed partition: the
 * resumed views' panes and the partition's ids and checkpoint. With views to build
 * (`newStarts`: each partition's first offset for them), a partition whose new views start at or
 * after the savepoint's offset goes on from the savepoint's checkpoint, its new views folding
 * from their start (CatchUp.viewsFrom); one whose new views start before it reads from their
 * start with a fresh watermark and dedup state, its resumed views folding only from the
 * savepoint's offset on, and the state it reaches there is checked against the savepoint's
 * (CatchUp.expect): the views resume only if it is the same.
 */
export function restoreCommits(savepoint: SavepointDescriptor, state: SavepointState, plan: RestorePlan, newStarts?: ReadonlyMap<number, number>): PartitionCommit[] {
  const building = [...plan.added, ...plan.rebuilt];
  const resumed = new Set(plan.resumed);
  return savepoint.partitions.map((sp, i) => {
    const cp = sp.checkpoint;
    const { panes, seen } = state.partitions[i];
    const kept = panes.filter((p) => resumed.has(p.view));
    if (cp.catchUp && building.length > 0) {
      throw new SavepointError(`savepoint ${savepoint.id}: partition ${sp.partition} was still catching views up when it was taken; take a savepoint once the job has caught up (its checkpoints have no catchUp), then add views`);
    }
    const base = { partition: sp.partition, inserts: kept, upserts: [], deletes: [], base: null };
    const start = newStarts?.get(sp.partition);
    if (building.length === 0 || start === undefined || start === cp.nextOffset) {
      return { ...base, checkpoint: withoutViews(cp, resumed), dedup: { added: seen, forgetBefore: Number.NEGATIVE_INFINITY } };
    }
    if (start > cp.nextOffset) {
      const catchUp: CatchUp = { viewsFrom: Object.fromEntries(building.map((v) => [v, start])) };
      return { ...base, checkpoint: { ...cp, catchUp }, dedup: { added: seen, forgetBefore: Number.NEGATIVE_INFINITY } };
    }
    const { maxEventTime, watermarkProgress, lastAppendTime, stats } = cp;
    const checkpoint: PartitionCheckpoint = {
      partition: sp.partition,
      nextOffset: start,
      maxEventTime: null,
      watermarkProgress: null,
      lastAppendTime: null,
      stats: emptyStats(),
      catchUp: {
        viewsFrom: Object.fromEntries(plan.resumed.map((v) => [v, cp.nextOffset])),
        expect: { offset: cp.nextOffset, state: { maxEventTime, watermarkProgress, lastAppendTime, stats } },
      },
    };
    // No ids: the partition remembers them again as it reads from `start`.
    return { ...base, checkpoint };
  });
}

/** A checkpoint whose catch-up (if any) names only the views that go on. */
function withoutViews(cp: PartitionCheckpoint, keep: ReadonlySet<string>): PartitionCheckpoint {
  if (!cp.catchUp) return cp;
  const viewsFrom = Object.fromEntries(Object.entries(cp.catchUp.viewsFrom).filter(([v]) => keep.has(v)));
  return { ...cp, catchUp: { ...cp.catchUp, viewsFrom } };
}

function sortedKeys(o: object): [string, unknown][] {
  return Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
}
