import type { Pane } from '../shared/compute/pane.ts';

/** A request for batch panes: one view, optionally one key, windows overlapping [from, to). */
export interface BatchPaneQuery {
  readonly view: string;
  /** Exact key; all keys when absent. */
  readonly key?: string;
  /** Windows overlapping [from, to) (window end > from and start < to), as in the ViewStore's PaneQuery. */
  readonly from: number;
  readonly to: number;
  /**
   * Only panes of buckets below this (exclusive, like the horizon). Serving passes the horizon it
   * read, so a batch published meanwhile cannot add buckets the speed side also serves; serving
   * filters by the horizon again, so returning more is harmless and returning fewer is a bug.
   */
  readonly maxBucket?: number;
  /** Return at most this many panes (any of the matching ones), as PaneQuery.maxRows. */
  readonly maxRows?: number;
}

/**
 * What the serving layer needs from the batch layer (implemented by batch/batch-view-reader.ts
 * over the published manifest). The horizon is the start of the first bucket the published
 * batch does NOT cover; null before the first publish.
 */
export interface BatchPaneSource {
  /** The published batch horizon (epoch ms, a bucket start, exclusive), or null when nothing is published. */
  horizon(): Promise<number | null>;
  /** Panes of the published batch views matching the query. Each (key, start, bucket) appears once. */
  panes(q: BatchPaneQuery): Promise<Pane[]>;
}
