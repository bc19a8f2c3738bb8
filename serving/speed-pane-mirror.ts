import { BucketTotals, fitsBuckets, type RangeTotal } from '../shared/compute/bucket-totals.ts';
import { checkpointWatermark, type PartitionCheckpoint } from '../shared/compute/partition-processor.ts';
import type { LatenessPolicy } from '../shared/time/watermark.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { isAfterPosition, type PaneQuery, type StoredPane, type ViewStore } from '../shared/ports/view-store.ts';

/**
 * Lambda's speed half of one streaming namespace held in serving's memory: the panes of buckets
 * from the batch horizon on of every view whose windows fit in buckets (fitsBuckets: tumbling,
 * at most a bucket long; sessions merge by deleting fragments and can grow back past the
 * lateness bound, and a long sliding window would make every sync read its whole length), and
 * their key totals per bucket (BucketTotals), for top-N. Kept current
 * *incrementally*: when a partition's checkpoint changes, only its panes that the commits since
 * the last sync can have changed are read again: an event is accepted only at or after the
 * partition's lateness bound (Watermark.isTooLate), which never goes back, so a fixed window
 * ending by the bound of the checkpoint last seen is final and only those ending after it are
 * read (ViewStore.partitionPanes from a start on, a range of the restore index: the open
 * windows, ~3k panes of a partition in the serving benchmark, not the hour's 60k); the totals of
 * the (key, bucket)s read are recomputed. So under a stream committing every 100 ms, a lookup or
 * a top-N reads memory, and each commit costs serving a read of the open windows.
 *
 * The mirror may be newer than the checkpoints a request read (a sync reads what is committed
 * when it runs): such an answer holds data its `final` flags do not count on, never less.
 */
export class SpeedPaneMirror {
  readonly #store: ViewStore;
  readonly #namespace: string;
  readonly #bucketMs: number;
  readonly #views: ReadonlySet<string>;
  readonly #totalsOf: (view: string) => BucketTotals | undefined;
  readonly #makeTotals: () => Map<string, BucketTotals>;
  readonly #lateness: LatenessPolicy;
  /** Longest window of the views held: a window ending after t starts after t minus this. */
  readonly #maxSize: number;
  #minBucket: number | undefined;
  /** Per partition, the checkpoint the mirror holds every change of (its JSON), and its lateness bound. */
  #seen = new Map<number, { readonly json: string; readonly lateBefore: number }>();
  /** view -> key -> start/bucket/partition -> pane. */
  #panes = new Map<string, Map<string, Map<string, StoredPane>>>();
  #totals: Map<string, BucketTotals>;
  #running: Promise<void> | undefined;
  /** The sync after the running one, shared by every caller meanwhile. */
  #next: { checkpoints: ReadonlyMap<number, PartitionCheckpoint>; minBucket: number; readonly promise: Promise<void>; readonly resolve: () => void; readonly reject: (err: unknown) => void } | undefined;
  /** Panes read by syncs (for tests and checks). */
  panesRead = 0;

  constructor(store: ViewStore, pipeline: Pipeline, namespace: string) {
    this.#store = store;
    this.#namespace = namespace;
    this.#bucketMs = pipeline.config.bucketMs;
    // Views whose windows fit in buckets (short tumbling windows): a sync reads a window length
    // before the bound, so a 10-minute sliding view would make every sync read 10 minutes of
    // every key's panes; those, and sessions, are read from the store as before.
    const fixed = pipeline.views.filter((v) => fitsBuckets(v.def.window, this.#bucketMs));
    this.#views = new Set(fixed.map((v) => v.name));
    this.#maxSize = Math.max(0, ...fixed.map((v) => (v.def.window.kind === 'session' ? 0 : v.def.window.sizeMs)));
    this.#lateness = pipeline.config.lateness;
    this.#makeTotals = () => new Map(pipeline.views.filter((v) => fitsBuckets(v.def.window, this.#bucketMs)).map((v) => [v.name, new BucketTotals(v.aggregate, this.#bucketMs)]));
    this.#totals = this.#makeTotals();
    this.#totalsOf = (view) => this.#totals.get(view);
  }

  /** Whether the mirror holds `view` (fixed windows). */
  holds(view: string): boolean {
    return this.#views.has(view);
  }

  /**
   * Brings the mirror up to at least `checkpoints` for buckets from `minBucket` on: reads what
   * the partitions whose checkpoint changed wrote since the last sync. Syncs run one at a time;
   * one finding nothing changed reads nothing; callers arriving while one runs share the next.
   */
  sync(checkpoints: ReadonlyMap<number, PartitionCheckpoint>, minBucket: number): Promise<void> {
    if (this.#running === undefined) return this.#start(checkpoints, minBucket);
    // One is running: wait for the next one, which every request meanwhile shares, with the
    // newest checkpoints asked for (the stream-state cache's, so never older than this caller's).
    // A sync per request would queue without bound once a sync outlasts a commit interval.
    if (this.#next === undefined) {
      let settle!: { resolve: () => void; reject: (err: unknown) => void };
      const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      this.#next = { checkpoints, minBucket, promise, ...settle };
    } else {
      this.#next.checkpoints = checkpoints;
      this.#next.minBucket = minBucket;
    }
    return this.#next.promise;
  }

  #start(checkpoints: ReadonlyMap<number, PartitionCheckpoint>, minBucket: number): Promise<void> {
    const run = this.#sync(checkpoints, minBucket);
    this.#running = run;
    const after = () => {
      this.#running = undefined;
      const next = this.#next;
      this.#next = undefined;
      if (next) this.#start(next.checkpoints, next.minBucket).then(next.resolve, next.reject);
    };
    run.then(after, after);
    return run;
  }

  async #sync(checkpoints: ReadonlyMap<number, PartitionCheckpoint>, asked: number): Promise<void> {
    const lostPartition = [...this.#seen.keys()].some((p) => !checkpoints.has(p));
    if (this.#minBucket === undefined || lostPartition) this.#reset();
    else if (asked > this.#minBucket) this.#dropBefore(asked);
    // The horizon only moves up: a caller with an older one (a snapshot taken before a publish)
    // does not take the mirror back (its query is then refused and it reads the store), so no
    // caller ever finds the mirror emptied under it.
    const minBucket = Math.max(asked, this.#minBucket ?? asked);
    this.#minBucket = minBucket;
    const stale = [...checkpoints].filter(([p, cp]) => this.#seen.get(p)?.json !== JSON.stringify(cp));
    if (stale.length === 0) return;
    // A partition seen before: only windows ending after its lateness bound then (the others are
    // final); one not seen, or without a bound yet: all of it.
    const reads = await Promise.all(
      stale.map(async ([p]) => {
        const bound = this.#seen.get(p)?.lateBefore ?? Number.NEGATIVE_INFINITY;
        if (!Number.isFinite(bound)) return this.#store.partitionPanes(this.#namespace, p, minBucket);
        return (await this.#store.partitionPanes(this.#namespace, p, minBucket, bound - this.#maxSize)).filter((pane) => pane.end > bound);
      }),
    );
    // Applied in one synchronous step, so a query sees the mirror before or after a sync, never half of one.
    const dirty = new Map<string, Map<string, Set<number>>>();
    for (const rows of reads) {
      this.panesRead += rows.length;
      for (const pane of rows) {
        if (!this.#views.has(pane.view) || pane.bucket < minBucket) continue;
        let keys = this.#panes.get(pane.view);
        if (!keys) this.#panes.set(pane.view, (keys = new Map()));
        let held = keys.get(pane.key);
        if (!held) keys.set(pane.key, (held = new Map()));
        held.set(`${pane.start}\u0000${pane.bucket}\u0000${pane.partition}`, pane);
        let touched = dirty.get(pane.view);
        if (!touched) dirty.set(pane.view, (touched = new Map()));
        let buckets = touched.get(pane.key);
        if (!buckets) touched.set(pane.key, (buckets = new Set()));
        buckets.add(pane.bucket);
      }
    }
    for (const [view, keys] of dirty) {
      const totals = this.#totalsOf(view);
      if (!totals) continue;
      for (const [key, buckets] of keys) {
        const held = [...this.#panes.get(view)!.get(key)!.values()];
        for (const b of buckets) totals.set(key, b, held.filter((p) => p.bucket === b));
      }
    }
    for (const [p, cp] of stale) this.#seen.set(p, { json: JSON.stringify(cp), lateBefore: checkpointWatermark(this.#lateness, cp).lateBefore });
  }

  /** Whether the last sync brought the mirror to exactly these checkpoints, from this bucket on (then it holds at least what they commit). */
  isAt(checkpoints: ReadonlyMap<number, PartitionCheckpoint>, minBucket: number): boolean {
    if (this.#minBucket !== minBucket || this.#running !== undefined || checkpoints.size !== this.#seen.size) return false;
    for (const [p, cp] of checkpoints) if (this.#seen.get(p)?.json !== JSON.stringify(cp)) return false;
    return true;
  }

  /**
   * The panes of a query, as the view store answers it (PaneQuery), from memory; undefined when
   * the mirror cannot answer it: a view it does not hold, or a query for buckets below those it
   * holds (no minBucket, or one below the last sync's).
   */
  query(q: PaneQuery): StoredPane[] | undefined {
    if (!this.#views.has(q.view) || this.#minBucket === undefined || q.minBucket === undefined || q.minBucket < this.#minBucket) return undefined;
    const keys = this.#panes.get(q.view);
    const out: StoredPane[] = [];
    if (!keys) return out;
    const minStart = q.minStart ?? Number.NEGATIVE_INFINITY;
    const after = q.ordered?.after;
    const scan = (held: Map<string, StoredPane>) => {
      for (const p of held.values()) {
        if (p.end > q.from && p.start < q.to && p.bucket >= q.minBucket! && p.start >= minStart && isAfterPosition(p.key, p.start, after)) out.push(p);
      }
    };
    if (q.key !== undefined) {
      const held = keys.get(q.key);
      if (held) scan(held);
    } else for (const held of keys.values()) scan(held);
    if (q.ordered !== undefined) out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start || a.bucket - b.bucket || a.partition - b.partition));
    return q.maxRows === undefined ? out : out.slice(0, q.maxRows);
  }

  /**
   * Merges into `into` each key's windows of `view` overlapping [from, to) from bucket
   * `minBucket` on (BucketTotals.addRange), tagged 'speed'; false (nothing merged) when the
   * mirror keeps no totals for the view or does not hold those buckets.
   */
  addRangeTotals(view: string, from: number, to: number, minBucket: number, into: Map<string, RangeTotal<'speed'>>): boolean {
    const totals = this.#totalsOf(view);
    if (!totals || this.#minBucket === undefined || minBucket < this.#minBucket) return false;
    const keys = this.#panes.get(view);
    const panesOf = (key: string, bucket: number) => [...(keys?.get(key)?.values() ?? [])].filter((p) => p.bucket === bucket);
    totals.addRange(from, to, minBucket, Number.POSITIVE_INFINITY, 'speed', panesOf, into);
    return true;
  }

  /** The totals of a view (for tests: compared with a recomputation from the panes). */
  totals(view: string): BucketTotals | undefined {
    return this.#totalsOf(view);
  }

  #reset(): void {
    this.#seen = new Map();
    this.#panes = new Map();
    this.#totals = this.#makeTotals();
  }

  #dropBefore(bucket: number): void {
    for (const keys of this.#panes.values()) {
      for (const [key, held] of keys) {
        for (const [id, p] of held) if (p.bucket < bucket) held.delete(id);
        if (held.size === 0) keys.delete(key);
      }
    }
    for (const totals of this.#totals.values()) totals.dropBefore(bucket);
  }
}
