import type { Pane } from '../shared/compute/pane.ts';
import type { BatchPaneQuery } from './batch-pane-source.ts';
import { BucketTotals, type RangeTotal } from '../shared/compute/bucket-totals.ts';
import type { Aggregate } from '../shared/compute/aggregate.ts';

/** What PaneIndex.build needs to keep per-bucket key totals (for views whose windows fit in buckets). */
export interface TotalsOptions {
  readonly aggregate: Aggregate;
  readonly bucketMs: number;
}

/**
 * The serving form of one view's published batch panes (a loaded segment, as a Druid historical
 * holds one): rows sorted by key, start, bucket in flat typed columns, and each key's row range.
 * A query of one key binary-searches that key's rows for the first pane that can end after
 * `from` and reads until `start >= to`, so it touches only the rows it returns (plus the few
 * starting in the window reach before `from`). Pane objects exist only for the rows returned;
 * a pane costs 8 bytes per accumulator slot and 24 bytes besides, plus the text of its object states (count_distinct, top_k, HLL) when the view has some. Immutable once built.
 */
export class PaneIndex {
  readonly view: string;
  /** Panes held. */
  readonly size: number;
  readonly #width: number;
  readonly #keys: readonly string[];
  /** Row range of each key: rows lo..hi-1. */
  readonly #ranges: Map<string, { readonly lo: number; readonly hi: number }>;
  readonly #rowKey: Int32Array;
  readonly #start: Float64Array;
  readonly #end: Float64Array;
  readonly #bucket: Float64Array;
  readonly #acc: Float64Array;
  /** Each row's encoded object states (Pane.states); empty when the view has none. */
  readonly #states: (string | undefined)[] = [];
  /** Longest pane (end - start): no pane starting at or before `from - maxSpan` ends after `from`. */
  readonly #maxSpan: number;
  /** Per key and bucket totals, when built with TotalsOptions. */
  readonly #totals: BucketTotals | undefined;
  readonly #bucketMs: number;

  private constructor(view: string, width: number, panes: readonly Pane[], totals: TotalsOptions | undefined) {
    this.view = view;
    this.#width = width;
    const n = panes.length;
    this.size = n;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => {
      const pa = panes[a];
      const pb = panes[b];
      return pa.key < pb.key ? -1 : pa.key > pb.key ? 1 : pa.start - pb.start || pa.bucket - pb.bucket;
    });
    this.#rowKey = new Int32Array(n);
    this.#start = new Float64Array(n);
    this.#end = new Float64Array(n);
    this.#bucket = new Float64Array(n);
    this.#acc = new Float64Array(n * width);
    const keys: string[] = [];
    this.#ranges = new Map();
    let maxSpan = 0;
    for (let row = 0; row < n; row++) {
      const p = panes[order[row]];
      if (keys.length === 0 || keys[keys.length - 1] !== p.key) {
        if (keys.length > 0) this.#ranges.set(keys[keys.length - 1], { lo: this.#ranges.get(keys[keys.length - 1])!.lo, hi: row });
        keys.push(p.key);
        this.#ranges.set(p.key, { lo: row, hi: n });
      }
      this.#rowKey[row] = keys.length - 1;
      this.#start[row] = p.start;
      this.#end[row] = p.end;
      this.#bucket[row] = p.bucket;
      if (p.acc.length !== width) throw new RangeError(`pane of ${p.key} in view ${view} has ${p.acc.length} accumulator values, not ${width}`);
      this.#acc.set(p.acc, row * width);
      if (p.states !== undefined) this.#states[row] = p.states;
      if (p.end - p.start > maxSpan) maxSpan = p.end - p.start;
    }
    this.#keys = keys;
    this.#maxSpan = maxSpan;
    this.#bucketMs = totals?.bucketMs ?? 0;
    this.#totals = totals === undefined ? undefined : new BucketTotals(totals.aggregate, totals.bucketMs);
    if (this.#totals) {
      // Rows are sorted by key, then start: a key's panes of one bucket are gathered per key.
      for (const [key, r] of this.#ranges) {
        const byBucket = new Map<number, Pane[]>();
        for (let row = r.lo; row < r.hi; row++) {
          const b = this.#bucket[row];
          let list = byBucket.get(b);
          if (!list) byBucket.set(b, (list = []));
          list.push(this.#pane(row));
        }
        for (const [b, list] of byBucket) this.#totals.set(key, b, list);
      }
    }
  }

  /**
   * Indexes the panes of one view (each accumulator `width` values long); the panes may come in
   * any order. With `totals`, also each key's total per bucket (BucketTotals; only for views
   * whose windows fit in buckets), for addRangeTotals.
   */
  static build(view: string, width: number, panes: readonly Pane[], totals?: TotalsOptions): PaneIndex {
    return new PaneIndex(view, width, panes, totals);
  }

  /** Whether addRangeTotals can answer (built with totals). */
  get hasTotals(): boolean {
    return this.#totals !== undefined;
  }

  /** Merges into `into` each key's windows overlapping [from, to) of buckets below maxBucket (BucketTotals.addRange), tagged 'batch'. */
  addRangeTotals(from: number, to: number, maxBucket: number, into: Map<string, RangeTotal<'batch'>>): void {
    if (!this.#totals) throw new RangeError(`the index of view ${this.view} was built without totals`);
    // Only the rows overlapping the range: a range cutting a bucket reads that part of it.
    const panesOf = (key: string, bucket: number, a: number, b: number) => this.query({ view: this.view, key, from: Math.max(bucket, a), to: Math.min(bucket + this.#bucketMs, b) });
    this.#totals.addRange(from, to, Number.NEGATIVE_INFINITY, maxBucket, 'batch', panesOf, into);
  }

  /** The panes held whose bucket passes `keep` (to carry unchanged buckets into the next publish's index). */
  panesWhere(keep: (bucket: number) => boolean): Pane[] {
    const out: Pane[] = [];
    for (let row = 0; row < this.size; row++) if (keep(this.#bucket[row])) out.push(this.#pane(row));
    return out;
  }

  /** Panes matching the query (view is this index's), always sorted by key, start, bucket; the first `maxRows` of them when given. */
  query(q: BatchPaneQuery): Pane[] {
    const out: Pane[] = [];
    const max = q.maxRows ?? Number.POSITIVE_INFINITY;
    if (max <= 0) return out;
    const maxBucket = q.maxBucket ?? Number.POSITIVE_INFINITY;
    const lowStart = q.from - this.#maxSpan;
    const after = q.ordered?.after;
    const scan = (lo: number, hi: number, startAfter: number): boolean => {
      // First row of the key with start > from - maxSpan (rows before it end by `from`) and > startAfter.
      const low = Math.max(lowStart, startAfter);
      let a = lo;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (this.#start[mid] <= low) a = mid + 1;
        else b = mid;
      }
      for (let row = a; row < hi && this.#start[row] < q.to; row++) {
        if (this.#end[row] <= q.from || this.#bucket[row] >= maxBucket) continue;
        out.push(this.#pane(row));
        if (out.length >= max) return false;
      }
      return true;
    };
    if (q.key !== undefined) {
      const r = this.#ranges.get(q.key);
      if (r) scan(r.lo, r.hi, after === undefined ? Number.NEGATIVE_INFINITY : q.key < after.key ? Number.POSITIVE_INFINITY : q.key === after.key ? after.start : Number.NEGATIVE_INFINITY);
      return out;
    }
    // Keys are sorted: start at the first one >= the position's key.
    let k = 0;
    if (after !== undefined) {
      let hi = this.#keys.length;
      while (k < hi) {
        const mid = (k + hi) >>> 1;
        if (this.#keys[mid] < after.key) k = mid + 1;
        else hi = mid;
      }
    }
    for (; k < this.#keys.length; k++) {
      const key = this.#keys[k];
      const r = this.#ranges.get(key)!;
      if (!scan(r.lo, r.hi, after !== undefined && key === after.key ? after.start : Number.NEGATIVE_INFINITY)) break;
    }
    return out;
  }

  #pane(row: number): Pane {
    const at = row * this.#width;
    const pane: Pane = {
      view: this.view,
      key: this.#keys[this.#rowKey[row]],
      start: this.#start[row],
      end: this.#end[row],
      bucket: this.#bucket[row],
      acc: Array.from(this.#acc.subarray(at, at + this.#width)),
    };
    const states = this.#states[row];
    return states === undefined ? pane : { ...pane, states };
  }
}
