import { BadRequestError } from '../errors.ts';
import { accumulatorLayout, type Accumulator, type MeasureStates } from './aggregate.ts';
import { isScalarOp } from './measure.ts';
import type { MergedWindow } from './pane-merge.ts';
import type { CompiledView } from './pipeline.ts';
import type { RangeTotal } from './bucket-totals.ts';

/** One key's total over some windows, ranked. */
export interface KeyTotal<Tag extends string = string> {
  readonly key: string;
  /** The key's windows merged with the view's aggregate. */
  readonly acc: Accumulator;
  /** Their object states merged (absent when the view has none). */
  readonly states?: MeasureStates;
  /** How many windows were merged. */
  readonly windows: number;
  /** The tags (layers) of the merged windows. */
  readonly tags: readonly Tag[];
}

/**
 * The `n` keys with the largest value of measure `by` over the given windows: each key's windows
 * merged by the view's aggregate (`mergeInto`, the merge every layer uses), so a key's total
 * counts each event once as long as the windows are disjoint (tumbling or session windows).
 * Ties go to the smaller key, so the order is deterministic. Pure. Ranks by count, sum, min or
 * max only (a raw slot); any other measure is a NotRankableError.
 */
export function topKeys<Tag extends string>(view: CompiledView, windows: Iterable<MergedWindow<Tag>>, by: string, n: number): KeyTotal<Tag>[] {
  checkRankable(view, by);
  const agg = view.aggregate;
  const totals = new Map<string, RangeTotal<Tag>>();
  for (const w of windows) {
    let t = totals.get(w.key);
    if (!t) totals.set(w.key, (t = { acc: agg.empty(), states: agg.emptyStates(), windows: 0, tags: new Set() }));
    agg.mergeInto(t.acc, w.acc);
    if (t.states && w.states) agg.mergeStatesInto(t.states, w.states);
    t.windows++;
    for (const tag of w.tags) t.tags.add(tag);
  }
  return rankTotals(view, totals, by, n);
}

/** The `n` keys of `totals` (each key's windows merged, as topKeys or BucketTotals.addRange make them) with the largest measure `by`; ties to the smaller key. */
export function rankTotals<Tag extends string>(view: CompiledView, totals: ReadonlyMap<string, RangeTotal<Tag>>, by: string, n: number): KeyTotal<Tag>[] {
  const at = view.def.measures.findIndex((m) => m.name === by);
  if (at < 0) throw new RangeError(`view ${view.name} has no measure ${by}`);
  checkRankable(view, by);
  const slot = accumulatorLayout(view.measures).at[at];
  return [...totals]
    .map(([key, t]) => ({ key, acc: t.acc, ...(t.states && { states: t.states }), windows: t.windows, tags: [...t.tags].sort() }))
    .sort((a, b) => b.acc[slot] - a.acc[slot] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, n);
}

/** Throws NotRankableError when `by` (a measure of the view) is not one a top query can rank by. */
export function checkRankable(view: CompiledView, by: string): void {
  const m = view.def.measures.find((x) => x.name === by);
  if (m && !isScalarOp(m.op)) throw new NotRankableError(view.name, by, m.op);
}

/** A top query ranking by a measure that is not one number per window (a BadRequestError: HTTP 400). */
export class NotRankableError extends BadRequestError {
  constructor(view: string, by: string, op: string) {
    super('by', `view ${view}: measure ${by} is a ${op}; top ranks by a count, sum, min or max measure only`);
  }
}
