import type { Pane } from '../shared/compute/pane.ts';
import type { PanePosition } from '../shared/ports/view-store.ts';
import type { RangeTotal } from '../shared/compute/bucket-totals.ts';

/** A request for batch panes: one view, optionally one key, windows overlapping [from, to). */
export interface BatchPaneQuery {
  readonly view: string;
  /** Exact key; all keys when absent. */
  readonly key?: string;
  /** Windows overlapping [from, to) (window end > from and start < to), as in the ViewStore's PaneQuery. */
  readonly from: number;
  readonly to: number;
  /**
   * Only panes of buckets below this (exclusive, like the horizon). Serving passes the horizon of
   * the snapshot it reads; serving filters by the horizon again, so returning more is harmless
   * and returning fewer is a bug.
   */
  readonly maxBucket?: number;
  /** Rows sorted by key, start, bucket, only those after `after` when given, as PaneQuery.ordered. */
  readonly ordered?: { readonly after?: PanePosition };
  /** Return at most this many panes (any of the matching ones, the first when ordered), as PaneQuery.maxRows. */
  readonly maxRows?: number;
}

/**
 * One published batch, as a reader sees it: the horizon and the panes of one manifest, so every
 * read of one query comes from the same publish (never half of one, never two).
 */
export interface BatchSnapshot {
  /** The run that published it (the manifest's runId); null before the first publish. */
  readonly runId: string | null;
  /** The published batch horizon (epoch ms, a bucket start, exclusive), or null when nothing is published. */
  readonly horizon: number | null;
  /** Panes of this publish's views matching the query. Each (key, start, bucket) appears once. */
  panes(q: BatchPaneQuery): Promise<Pane[]>;
  /**
   * Merges into `into`, per key of `view`, its windows overlapping [from, to) below the horizon,
   * from per-bucket key totals (BucketTotals.addRange), and returns true; false (nothing merged)
   * when this source keeps no totals for the view. Absent: none kept.
   */
  readonly rangeTotals?: (view: string, from: number, to: number, into: Map<string, RangeTotal<'batch'>>) => boolean;
  /** The failed checks of the last run the batch quality gate rejected hours of; absent or [] when none did. */
  readonly gateFailures?: readonly BatchGateFailure[];
}

/** One check the batch quality gate failed: which run, hour and view (null: every view of the hour), and why. */
export interface BatchGateFailure {
  readonly runId: string;
  /** When the gate judged it (ISO-8601). */
  readonly at: string;
  readonly view: string | null;
  /** The hour (bucket start, epoch ms) kept from being published: its previous version keeps serving. */
  readonly bucket: number;
  readonly check: string;
  readonly detail: string;
}

/**
 * What the serving layer needs from the batch layer: the current published batch. Implemented
 * by batch/batch-view-index.ts (an in-memory index per publish, what `lk serve` uses) and
 * batch/batch-view-reader.ts (Parquet read per query, for one-off readers).
 */
export interface BatchPaneSource {
  /** The published batch now. Cheap to call per request: implementations keep it, not re-read it. */
  snapshot(): Promise<BatchSnapshot>;
}
