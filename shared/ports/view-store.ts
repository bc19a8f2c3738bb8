import type { SeenIds } from '../compute/dedup.ts';
import type { ChangeSet, DedupChanges, PartitionCheckpoint } from '../compute/partition-processor.ts';
import type { Pane, PaneId } from '../compute/pane.ts';
import { LkError } from '../errors.ts';

/**
 * The view store port: where the streaming views (speed layer, Kappa versions) live, with the
 * checkpoints that make them exactly-once. Derived state only: everything here can be rebuilt by
 * replaying the log, which is why a DuckDB file is an acceptable home for it.
 * Adapters: infra/duckdb/duckdb-view-store.ts, infra/postgres/postgres-view-store.ts.
 *
 * A namespace is one independent set of views: `speed` for the Lambda speed layer, `kappa_v1`,
 * `kappa_v2`, ... for Kappa versions. Names match /^[a-z][a-z0-9_]{0,40}$/.
 */
export interface StoredPane extends Pane {
  /** The log partition whose events the pane holds (panes of one window from several partitions merge on read). */
  readonly partition: number;
}

/** One partition's changes, applied atomically with its checkpoint. */
export interface PartitionCommit {
  readonly partition: number;
  /**
   * Panes the store has no row for (the processor never reported or restored them): a store may
   * insert them without looking for a row, and may fail if one is there. Applied after the
   * deletes, before the upserts. Absent: none.
   */
  readonly inserts?: readonly Pane[];
  readonly upserts: readonly Pane[];
  readonly deletes: readonly PaneId[];
  readonly checkpoint: PartitionCheckpoint;
  /**
   * The stored checkpoint offset this commit builds on (null: the partition has no checkpoint
   * yet): the store applies the commit only if its checkpoint still has it, and otherwise refuses
   * it with PartitionFencedError, so two members of a group that both hold a partition during a
   * rebalance can never both write it. Absent: applied whatever is stored (bulk loads, tools).
   */
  readonly base?: number | null;
  /**
   * The dedup changelog since the partition's previous commit: ids to add, and the cutoff below
   * which stored ids may be dropped. Stored incrementally, so a commit costs what changed, not
   * the size of the dedup window. Absent: no ids to add or forget.
   */
  readonly dedup?: DedupChanges;
}

/** A point in (key, start) order: where a page of windows ended. */
export interface PanePosition {
  readonly key: string;
  readonly start: number;
}

/** Whether (key, start) comes after a position (always, without one). */
export function isAfterPosition(key: string, start: number, after: PanePosition | undefined): boolean {
  return after === undefined || key > after.key || (key === after.key && start > after.start);
}

export interface PaneQuery {
  readonly view: string;
  /** Exact key; all keys when absent. */
  readonly key?: string;
  /** Windows overlapping [from, to) (window end > from and start < to). */
  readonly from: number;
  readonly to: number;
  /** Only panes of buckets >= this (the batch horizon, in Lambda mode). */
  readonly minBucket?: number;
  /**
   * Only panes starting at or after this. Serving passes `earliestPaneStart(from, ...)`, which no
   * pane ending after `from` starts before, so nothing is lost and a store can read a key's panes
   * by its primary key (view, key, start, ...) instead of keeping an index on the end.
   */
  readonly minStart?: number;
  /**
   * Rows sorted by key, start (then bucket, partition), so `maxRows` keeps the first ones, and
   * with `after` only rows whose (key, start) comes after it: a page of serving's cursor reads
   * from where the previous page ended, along the primary key.
   */
  readonly ordered?: { readonly after?: PanePosition };
  /**
   * Return at most this many rows (any of the matching ones, or the first ones when `ordered`):
   * serving asks for one more than it can use, so a read it would refuse stops early instead of
   * reading every matching row.
   */
  readonly maxRows?: number;
}

/**
 * A namespace being built from scratch by a bulk load: a Kappa backfill emitting on window close
 * (EmitStrategy) appends each final pane once, which a store can write without looking up,
 * updating or indexing anything, and indexes once at the end (a segment build, as Druid's batch
 * ingestion does). Until `finish`, the namespace is listed but unusable: no checkpoint, and
 * `ensureNamespace`, `commit` and `setAlias` refuse it. A load that stops before `finish` is not
 * resumed; drop it and load again.
 */
export interface NamespaceLoad {
  readonly namespace: string;
  /** Appends final panes of one partition: panes no later append or commit changes, each appended once. */
  append(partition: number, panes: readonly Pane[]): Promise<void>;
  /**
   * Makes the namespace usable, atomically: indexes the appended panes and applies `commits`
   * (the panes still open, the remembered ids, the checkpoints) as `commit` would. Their upserts
   * must be panes not appended before, and they may not delete: a store may append them too.
   */
  finish(commits: readonly PartitionCommit[]): Promise<void>;
}

/** What a store applies of a processor's flush (side outputs and freshness data stay with the runner). */
export function partitionCommitOf(c: ChangeSet): PartitionCommit {
  return { partition: c.partition, inserts: c.inserts, upserts: c.upserts, deletes: c.deletes, checkpoint: c.checkpoint, dedup: c.dedup, base: c.base };
}

/**
 * The partitions whose commits do not build on what the store holds (the fencing rule every
 * adapter applies, inside the transaction that writes them): per partition, the first commit's
 * `base` must be the stored checkpoint's offset (null: none stored) and each later one's the
 * previous commit's offset. `stored` gives the stored offset of a partition, null when none.
 */
export function fencedPartitions(commits: readonly PartitionCommit[], stored: (partition: number) => number | null): number[] {
  const expected = new Map<number, number | null>();
  const fenced = new Set<number>();
  for (const c of commits) {
    const at = expected.has(c.partition) ? expected.get(c.partition)! : stored(c.partition);
    if (c.base !== undefined && c.base !== at) fenced.add(c.partition);
    expected.set(c.partition, c.checkpoint.nextOffset);
  }
  return [...fenced].sort((a, b) => a - b);
}

/** Checks what `NamespaceLoad.finish` accepts (every adapter enforces it the same way): no deletes. */
export function assertFinishingCommits(commits: readonly PartitionCommit[]): void {
  for (const c of commits) {
    if (c.deletes.length > 0) {
      throw new LkError(`a bulk load's finishing commit cannot delete panes (partition ${c.partition} has ${c.deletes.length}): a load stores only closed panes, which nothing deletes`);
    }
  }
}

/** One partition's committed state, as a restore reads it: the checkpoint, the panes and the dedup ids stored with it. */
export interface PartitionState {
  readonly checkpoint: PartitionCheckpoint;
  readonly panes: readonly StoredPane[];
  readonly seen: SeenIds;
}

/** Which of a partition's panes and ids to read, given its checkpoint: panes of buckets >= `minBucket`, ids seen at or after `idsSince`. */
export type StateBounds = (checkpoint: PartitionCheckpoint) => { readonly minBucket: number; readonly idsSince: number };

export interface ViewStore {
  /** Creates the namespace's tables if needed (migrations). Idempotent. Refuses a namespace whose bulk load did not finish. */
  ensureNamespace(namespace: string): Promise<void>;
  /** Creates `namespace`, which must not exist, for a bulk load. */
  beginLoad(namespace: string): Promise<NamespaceLoad>;
  /**
   * Applies the commits: per partition, deletes, then upserts, then the dedup ids and the
   * checkpoint. A partition whose commit does not build on the stored checkpoint (`base`,
   * fencedPartitions) is not applied: the call fails with PartitionFencedError naming it. Each partition's part is atomic (all of it visible or none), so a crash never
   * double-counts; a store may apply different partitions in separate transactions, so after a
   * failure some partitions may be committed and others not, and each resumes from its own checkpoint.
   */
  commit(namespace: string, commits: readonly PartitionCommit[]): Promise<void>;
  /** Checkpoints of the namespace by partition. */
  checkpoints(namespace: string): Promise<Map<number, PartitionCheckpoint>>;
  /** The dedup ids stored for a partition whose seen time (DedupSet) is >= `since` (a store may return older ones too). */
  seenIds(namespace: string, partition: number, since: number): Promise<SeenIds>;
  /**
   * Panes of one partition with bucket >= minBucket, and start >= minStart when given: to restore
   * open state after a restart or a rebalance, and for serving's speed mirror, the panes of
   * windows still open (serving/speed-pane-mirror.ts), read by a range of the restore index.
   */
  partitionPanes(namespace: string, partition: number, minBucket: number, minStart?: number): Promise<StoredPane[]>;
  queryPanes(namespace: string, query: PaneQuery): Promise<StoredPane[]>;
  /**
   * Every checkpointed partition's state, read as of one moment (one transaction or snapshot):
   * while a job commits, each partition's panes and ids are those of its checkpoint, never of a
   * commit half seen. Sorted by partition. What a savepoint copies.
   */
  committedState(namespace: string, bounds: StateBounds): Promise<PartitionState[]>;
  /** Drops panes of buckets below `bucket` (the speed layer forgets what the batch covers). */
  expireBefore(namespace: string, bucket: number): Promise<number>;
  /** Points an alias (e.g. `kappa`) at a namespace, atomically: the Kappa cut-over. */
  setAlias(alias: string, namespace: string): Promise<void>;
  getAlias(alias: string): Promise<string | undefined>;
  /** Every namespace, unfinished loads included. */
  listNamespaces(): Promise<string[]>;
  /** Namespaces whose bulk load has not finished (stopped, or still running). */
  unfinishedLoads(): Promise<string[]>;
  dropNamespace(namespace: string): Promise<void>;
  close(): Promise<void>;
}

/** `maxRows` as a SQL LIMIT: a whole number (an unbounded read leaves maxRows out). */
export function rowLimit(maxRows: number): number {
  if (!Number.isSafeInteger(maxRows) || maxRows < 0) throw new LkError(`maxRows must be a whole number >= 0; got ${maxRows}`);
  return maxRows;
}
