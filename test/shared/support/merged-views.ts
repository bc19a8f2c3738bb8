import type { Accumulator } from '../../../shared/compute/aggregate.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import type { Pipeline } from '../../../shared/compute/pipeline.ts';

/** One window's answer, without the tags of where its panes came from. */
export interface WindowAnswer {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly acc: Accumulator;
  /** The merged object states, encoded (canonical: equal states, equal text); absent for a view without them. */
  readonly states?: string;
}

/** Every view's windows merged from panes (of any buckets, partitions and layers), by view name. */
export function mergedViews(pipeline: Pipeline, panes: Iterable<Pane>): Record<string, WindowAnswer[]> {
  const byView = new Map<string, Pane[]>(pipeline.views.map((v) => [v.name, []]));
  for (const p of panes) byView.get(p.view)!.push(p);
  const out: Record<string, WindowAnswer[]> = {};
  for (const v of pipeline.views) {
    out[v.name] = mergePanes(v, byView.get(v.name)!.map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc, states }) => ({
      key,
      start,
      end,
      acc,
      ...(states && { states: v.aggregate.encodeStates(states) }),
    }));
  }
  return out;
}
