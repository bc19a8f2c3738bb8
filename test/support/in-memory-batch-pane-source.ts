import type { Pane } from '../../shared/compute/pane.ts';
import type { BatchPaneQuery, BatchPaneSource } from '../../serving/batch-pane-source.ts';

/**
 * A BatchPaneSource over panes held in memory: a published batch whose horizon and panes a test
 * sets directly (`publish`). `maxBucket` is applied as the exclusive bound the interface documents.
 */
export class InMemoryBatchPaneSource implements BatchPaneSource {
  #horizon: number | null = null;
  #panes: Pane[] = [];
  /** Calls of panes(), for tests that check how a caller fetches. */
  readonly queries: BatchPaneQuery[] = [];
  /** Calls of horizon(). */
  horizonReads = 0;
  /** Runs after each panes() call, before it returns: lets a test publish a new batch mid-query. */
  afterPanes: (() => void) | undefined;

  /** Replaces the published batch, as an atomic manifest swap would. */
  publish(horizon: number | null, panes: readonly Pane[]): void {
    this.#horizon = horizon;
    this.#panes = panes.map((p) => ({ ...p, acc: p.acc.slice() }));
  }

  async horizon(): Promise<number | null> {
    this.horizonReads++;
    return this.#horizon;
  }

  async panes(q: BatchPaneQuery): Promise<Pane[]> {
    this.queries.push(q);
    const out = this.#panes
      .filter((p) => p.view === q.view && (q.key === undefined || p.key === q.key) && p.end > q.from && p.start < q.to)
      .filter((p) => q.maxBucket === undefined || p.bucket < q.maxBucket)
      .slice(0, q.maxRows)
      .map((p) => ({ ...p, acc: p.acc.slice() }));
    this.afterPanes?.();
    return out;
  }
}
