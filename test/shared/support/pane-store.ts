import type { SeenIds } from '../../../shared/compute/dedup.ts';
import type { ChangeSet, PartitionCheckpoint } from '../../../shared/compute/partition-processor.ts';
import { paneIdString, type Pane } from '../../../shared/compute/pane.ts';

/**
 * What a view store does with a partition's change sets, in memory: per partition, deletes, then
 * upserts, then the checkpoint and the dedup changelog. Stores and returns copies, as a real store would, so a processor
 * cannot reach stored state except through `apply`.
 */
export class PaneStore {
  readonly #panes = new Map<number, Map<string, Pane>>();
  readonly #checkpoints = new Map<number, PartitionCheckpoint>();
  readonly #seen = new Map<number, Map<string, number>>();

  /** Applies one flush of one partition. */
  apply(change: ChangeSet): void {
    let panes = this.#panes.get(change.partition);
    if (!panes) this.#panes.set(change.partition, (panes = new Map()));
    for (const id of change.deletes) panes.delete(paneIdString(id));
    for (const p of change.inserts) {
      // What PostgreSQL's plain INSERT does with a pane the processor wrongly took for new.
      if (panes.has(paneIdString(p))) throw new Error(`pane ${paneIdString(p)} inserted, but the store holds it`);
      panes.set(paneIdString(p), copy(p));
    }
    for (const p of change.upserts) panes.set(paneIdString(p), copy(p));
    this.#checkpoints.set(change.partition, structuredClone(change.checkpoint));
    let seen = this.#seen.get(change.partition);
    if (!seen) this.#seen.set(change.partition, (seen = new Map()));
    const { added, forgetBefore } = change.dedup;
    for (let i = 0; i < added.ids.length; i++) seen.set(added.ids[i], added.times[i]);
    for (const [id, t] of seen) if (t < forgetBefore) seen.delete(id);
  }

  /** Stored dedup ids of one partition. */
  seenIds(partition: number): SeenIds {
    const entries = [...(this.#seen.get(partition) ?? [])];
    return { ids: entries.map(([id]) => id), times: entries.map(([, t]) => t) };
  }

  /** What a processor of this partition resumes from (undefined before its first flush). */
  restore(partition: number): { checkpoint: PartitionCheckpoint; panes: Pane[]; seen: SeenIds } | undefined {
    const checkpoint = this.checkpoint(partition);
    return checkpoint && { checkpoint, panes: this.partitionPanes(partition), seen: this.seenIds(partition) };
  }

  /** Stored panes of one partition. */
  partitionPanes(partition: number): Pane[] {
    return [...(this.#panes.get(partition)?.values() ?? [])].map(copy);
  }

  /** Stored panes of every partition. */
  allPanes(): Pane[] {
    return [...this.#panes.keys()].flatMap((p) => this.partitionPanes(p));
  }

  checkpoint(partition: number): PartitionCheckpoint | undefined {
    const cp = this.#checkpoints.get(partition);
    return cp && structuredClone(cp);
  }
}

function copy(p: Pane): Pane {
  return { ...p, acc: p.acc.slice() };
}
