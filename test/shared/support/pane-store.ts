import type { ChangeSet, PartitionCheckpoint } from '../../../shared/compute/partition-processor.ts';
import { paneIdString, type Pane } from '../../../shared/compute/pane.ts';

/**
 * What a view store does with a partition's change sets, in memory: per partition, deletes, then
 * upserts, then the checkpoint. Stores and returns copies, as a real store would, so a processor
 * cannot reach stored state except through `apply`.
 */
export class PaneStore {
  readonly #panes = new Map<number, Map<string, Pane>>();
  readonly #checkpoints = new Map<number, PartitionCheckpoint>();

  /** Applies one flush of one partition. */
  apply(change: ChangeSet): void {
    let panes = this.#panes.get(change.partition);
    if (!panes) this.#panes.set(change.partition, (panes = new Map()));
    for (const id of change.deletes) panes.delete(paneIdString(id));
    for (const p of change.upserts) panes.set(paneIdString(p), copy(p));
    this.#checkpoints.set(change.partition, structuredClone(change.checkpoint));
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
