import { BucketTotals, fitsBuckets, type RangeTotal } from '../shared/compute/bucket-totals.ts';
import type { PartitionCheckpoint } from '../shared/compute/partition-processor.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { isAfterPosition, type PaneQuery, type StoredPane, type ViewStore } from '../shared/ports/view-store.ts';

/**
 * Lambda's speed half of one streaming namespace held in serving's memory: the panes of buckets
 * from the batch horizon on, of every view whose windows are fixed (sessions merge by deleting
 * fragments, which the store's change read does not report), and per view whose windows fit in
 * buckets the key totals per bucket (BucketTotals), for top-N. Kept current *incrementally*: at
 * each new generation (checkpoints), only the panes the commits since the last sync wrote are
 * read (ViewStore.panesWrittenAfter: PostgreSQL by the commit offset stored per row) and the
 * totals of the (key, bucket)s they touch are recomputed. So under a stream committing every
 * 100 ms, a lookup or a top-N reads memory, and each commit costs serving what it changed.
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
  #minBucket: number | undefined;
  /** Per partition, the checkpoint the mirror holds every change of (its JSON, and its offset). */
  #seen = new Map<number, { readonly json: string; readonly offset: number }>();
  /** view -> key -> start/bucket/partition -> pane. */
  #panes = new Map<string, Map<string, Map<string, StoredPane>>>();
  #totals: Map<string, BucketTotals>;
  #chain: Promise<void> = Promise.resolve();
  /** Panes read by syncs (for tests and checks). */
  panesRead = 0;

  constructor(store: ViewStore, pipeline: Pipeline, namespace: string) {
    this.#store = store;
    this.#namespace = namespace;
    this.#bucketMs = pipeline.config.bucketMs;
    this.#views = new Set(pipeline.views.filter((v) => v.def.window.kind !== 'session').map((v) => v.name));
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
   * one finding nothing changed reads nothing.
   */
  sync(checkpoints: ReadonlyMap<number, PartitionCheckpoint>, minBucket: number): Promise<void> {
    const run = this.#chain.then(() => this.#sync(checkpoints, minBucket));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #sync(checkpoints: ReadonlyMap<number, PartitionCheckpoint>, minBucket: number): Promise<void> {
    const lostPartition = [...this.#seen.keys()].some((p) => !checkpoints.has(p));
    if (this.#minBucket === undefined || minBucket < this.#minBucket || lostPartition) this.#reset();
    else if (minBucket > this.#minBucket) this.#dropBefore(minBucket);
    this.#minBucket = minBucket;
    const stale = [...checkpoints].filter(([p, cp]) => this.#seen.get(p)?.json !== JSON.stringify(cp));
    if (stale.length === 0) return;
    // Each partition from the offset its last seen checkpoint had (a row read twice is harmless: it replaces itself).
    const reads = await Promise.all(stale.map(([p]) => this.#store.panesWrittenAfter(this.#namespace, p, minBucket, this.#seen.get(p)?.offset ?? null)));
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
    for (const [p, cp] of stale) this.#seen.set(p, { json: JSON.stringify(cp), offset: cp.nextOffset });
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
