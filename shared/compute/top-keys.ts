import type { Accumulator } from './aggregate.ts';
import type { MergedWindow } from './pane-merge.ts';
import type { CompiledView } from './pipeline.ts';
import type { RangeTotal } from './bucket-totals.ts';

/** One key's total over some windows, ranked. */
export interface KeyTotal<Tag extends string = string> {
  readonly key: string;
  /** The key's windows merged with the view's aggregate. */
  readonly acc: Accumulator;
  /** How many windows were merged. */
  readonly windows: number;
  /** The tags (layers) of the merged windows. */
  readonly tags: readonly Tag[];
}

/**
 * The `n` keys with the largest value of measure `by` over the given windows: each key's windows
 * merged by the view's aggregate (`mergeInto`, the merge every layer uses), so a key's total
 * counts each event once as long as the windows are disjoint (tumbling or session windows).
 * Ties go to the smaller key, so the order is deterministic. Pure.
 */
export function topKeys<Tag extends string>(view: CompiledView, windows: Iterable<MergedWindow<Tag>>, by: string, n: number): KeyTotal<Tag>[] {
  const totals = new Map<string, RangeTotal<Tag>>();
  for (const w of windows) {
    let t = totals.get(w.key);
    if (!t) totals.set(w.key, (t = { acc: view.aggregate.empty(), windows: 0, tags: new Set() }));
    view.aggregate.mergeInto(t.acc, w.acc);
    t.windows++;
    for (const tag of w.tags) t.tags.add(tag);
  }
  return rankTotals(view, totals, by, n);
}

/** The `n` keys of `totals` (each key's windows merged, as topKeys or BucketTotals.addRange make them) with the largest measure `by`; ties to the smaller key. */
export function rankTotals<Tag extends string>(view: CompiledView, totals: ReadonlyMap<string, RangeTotal<Tag>>, by: string, n: number): KeyTotal<Tag>[] {
  const at = view.def.measures.findIndex((m) => m.name === by);
  if (at < 0) throw new RangeError(`view ${view.name} has no measure ${by}`);
  return [...totals]
    .map(([key, t]) => ({ key, acc: t.acc, windows: t.windows, tags: [...t.tags].sort() }))
    .sort((a, b) => b.acc[at] - a.acc[at] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, n);
}
