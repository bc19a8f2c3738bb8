import type { Pane } from '../../shared/compute/pane.ts';
import { isAfterPosition } from '../../shared/ports/view-store.ts';
import type { BatchGateFailure, BatchPaneQuery, BatchPaneSource, BatchSnapshot } from '../../serving/batch-pane-source.ts';
import { fitsBuckets } from '../../shared/compute/bucket-totals.ts';
import type { Pipeline } from '../../shared/compute/pipeline.ts';
import { PaneIndex } from '../../serving/pane-index.ts';

/**
 * A BatchPaneSource over panes held in memory: a published batch whose horizon and panes a test
 * sets directly (`publish`). `maxBucket` is applied as the exclusive bound the interface documents.
 */
export class InMemoryBatchPaneSource implements BatchPaneSource {
  #current: { runId: string | null; horizon: number | null; panes: Pane[] } = { runId: null, horizon: null, panes: [] };
  #runs = 0;
  /** Calls of panes() on any snapshot, for tests that check how a caller fetches. */
  readonly queries: BatchPaneQuery[] = [];
  /** Calls of snapshot(). */
  snapshotReads = 0;
  /** The quality gate's last failed checks every snapshot reports (none by default). */
  gateFailures: readonly BatchGateFailure[] = [];
  /** Runs after each panes() call, before it returns: lets a test publish a new batch mid-query. */
  afterPanes: (() => void) | undefined;
  readonly #pipeline: Pipeline | undefined;

  /** With a pipeline, snapshots also answer `rangeTotals` (per-bucket key totals, as BatchViewIndex keeps them). */
  constructor(pipeline?: Pipeline) {
    this.#pipeline = pipeline;
  }

  /** Replaces the published batch, as an atomic manifest swap would; each publish is a new run (run-1, run-2, ...). */
  publish(horizon: number | null, panes: readonly Pane[]): void {
    this.#current = { runId: `run-${++this.#runs}`, horizon, panes: panes.map((p) => ({ ...p, acc: p.acc.slice() })) };
  }

  async snapshot(): Promise<BatchSnapshot> {
    this.snapshotReads++;
    const published = this.#current;
    return {
      runId: published.runId,
      horizon: published.horizon,
      gateFailures: this.gateFailures,
      panes: async (q) => {
        this.queries.push(q);
        const ordered = q.ordered === undefined ? published.panes : [...published.panes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start || a.bucket - b.bucket));
        const out = ordered
          .filter((p) => p.view === q.view && (q.key === undefined || p.key === q.key) && isAfterPosition(p.key, p.start, q.ordered?.after) && p.end > q.from && p.start < q.to)
          .filter((p) => q.maxBucket === undefined || p.bucket < q.maxBucket)
          .slice(0, q.maxRows)
          .map((p) => ({ ...p, acc: p.acc.slice() }));
        this.afterPanes?.();
        return out;
      },
      rangeTotals: this.#pipeline === undefined ? undefined : (view, from, to, into) => {
        const pipeline = this.#pipeline!;
        const def = pipeline.view(view);
        if (!fitsBuckets(def.def.window, pipeline.config.bucketMs) || published.horizon === null) return false;
        const index = PaneIndex.build(view, def.aggregate.measures.length, published.panes.filter((p) => p.view === view), { aggregate: def.aggregate, bucketMs: pipeline.config.bucketMs });
        index.addRangeTotals(from, to, published.horizon, into);
        return true;
      },
    };
  }
}
