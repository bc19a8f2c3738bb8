import type { Accumulator, Aggregate, MeasureStates } from './aggregate.ts';
import type { Pane } from './pane.ts';
import type { WindowSpec } from '../time/window.ts';

/** One key's windows over a range merged (what top-N ranks): the accumulator, how many windows, the layers they came from. */
export interface RangeTotal<Tag extends string = string> {
  readonly acc: Accumulator;
  /** The object measures' states merged (absent when the view has none). */
  readonly states?: MeasureStates;
  windows: number;
  readonly tags: Set<Tag>;
}

/**
 * Whether every window of `spec` lies in one bucket: fixed windows that do not overlap (tumbling,
 * or sliding with slide = size) whose size divides the bucket. Window starts are multiples of the
 * size, so such a window never crosses a bucket boundary, and a bucket's panes are whole windows:
 * then BucketTotals is exact.
 */
export function fitsBuckets(spec: WindowSpec, bucketMs: number): boolean {
  if (spec.kind === 'session') return false;
  const slide = spec.kind === 'sliding' ? spec.slideMs : spec.sizeMs;
  return slide === spec.sizeMs && spec.sizeMs <= bucketMs && bucketMs % spec.sizeMs === 0;
}

/**
 * Per key and bucket, the merge of the key's panes in that bucket (every partition, one layer)
 * and how many windows they are, for views whose windows fit in buckets (fitsBuckets). A top-N
 * over a range then takes a bucket the range covers from its total, and reads panes only for
 * the one or two buckets the range cuts: O(keys × buckets) instead of O(panes). Totals are
 * replaced whole from the bucket's panes (`set`), never adjusted, as min and max cannot be
 * subtracted. Pure and mutable: the batch index builds one per publish, serving's speed mirror
 * updates one per commit.
 */
export class BucketTotals {
  readonly #aggregate: Aggregate;
  readonly #bucketMs: number;
  readonly #byKey = new Map<string, Map<number, { readonly acc: Accumulator; readonly states: MeasureStates | undefined; readonly windows: number }>>();

  constructor(aggregate: Aggregate, bucketMs: number) {
    this.#aggregate = aggregate;
    this.#bucketMs = bucketMs;
  }

  /** Replaces the total of (key, bucket) by the merge of `panes`, all of its panes (none: it is dropped). */
  set(key: string, bucket: number, panes: Iterable<Pane>): void {
    const agg = this.#aggregate;
    const acc = agg.empty();
    const states = agg.emptyStates();
    const starts = new Set<number>();
    for (const p of panes) {
      agg.mergeInto(acc, p.acc);
      if (states) agg.mergeStatesInto(states, agg.decodeStates(p.states)!);
      starts.add(p.start);
    }
    let buckets = this.#byKey.get(key);
    if (starts.size === 0) {
      buckets?.delete(bucket);
      if (buckets?.size === 0) this.#byKey.delete(key);
      return;
    }
    if (!buckets) this.#byKey.set(key, (buckets = new Map()));
    buckets.set(bucket, { acc, states, windows: starts.size });
  }

  /** Drops every total of a bucket below `bucket`. */
  dropBefore(bucket: number): void {
    for (const [key, buckets] of this.#byKey) {
      for (const b of buckets.keys()) if (b < bucket) buckets.delete(b);
      if (buckets.size === 0) this.#byKey.delete(key);
    }
  }

  /** The totals held, as [key, bucket, acc, windows] (for tests and checks). */
  *entries(): IterableIterator<[string, number, Accumulator, number]> {
    for (const [key, buckets] of this.#byKey) for (const [b, t] of buckets) yield [key, b, t.acc, t.windows];
  }

  /**
   * Merges into `into`, per key, its windows overlapping [from, to) in buckets [minBucket,
   * maxBucket), tagged `tag`: a bucket inside the range by its total, one the range cuts by
   * those of its panes whose window overlaps the range (`panesOf(key, bucket, from, to)`: at
   * least those; more are filtered out).
   */
  addRange<Tag extends string>(from: number, to: number, minBucket: number, maxBucket: number, tag: Tag, panesOf: (key: string, bucket: number, from: number, to: number) => Iterable<Pane>, into: Map<string, RangeTotal<Tag>>): void {
    const bucketMs = this.#bucketMs;
    for (const [key, buckets] of this.#byKey) {
      for (const [b, t] of buckets) {
        if (b < minBucket || b >= maxBucket || b >= to || b + bucketMs <= from) continue;
        let total = into.get(key);
        if (b >= from && b + bucketMs <= to) {
          if (!total) into.set(key, (total = this.#emptyTotal()));
          this.#aggregate.mergeInto(total.acc, t.acc);
          if (total.states && t.states) this.#aggregate.mergeStatesInto(total.states, t.states);
          total.windows += t.windows;
          total.tags.add(tag);
          continue;
        }
        const starts = new Set<number>();
        for (const p of panesOf(key, b, from, to)) {
          if (p.bucket !== b || p.end <= from || p.start >= to) continue;
          if (!total) into.set(key, (total = this.#emptyTotal()));
          this.#aggregate.mergeInto(total.acc, p.acc);
          if (total.states) this.#aggregate.mergeStatesInto(total.states, this.#aggregate.decodeStates(p.states)!);
          starts.add(p.start);
        }
        if (total && starts.size > 0) {
          total.windows += starts.size;
          total.tags.add(tag);
        }
      }
    }
  }

  #emptyTotal<Tag extends string>(): RangeTotal<Tag> {
    return { acc: this.#aggregate.empty(), states: this.#aggregate.emptyStates(), windows: 0, tags: new Set() };
  }
}
