import { isDeepStrictEqual } from 'node:util';
import type { Adapters } from '../infra/adapters.ts';
import { mergePanes } from '../shared/compute/pane-merge.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';

/** The views whose windows (merged over partitions and buckets) differ between two namespaces. */
export async function differingViews(a: Adapters, pipeline: Pipeline, left: string, right: string): Promise<string[]> {
  const out: string[] = [];
  for (const v of pipeline.views) {
    const windows = async (namespace: string) => {
      const panes = await a.views.queryPanes(namespace, { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
      return mergePanes(v, panes.map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
    };
    if (!isDeepStrictEqual(await windows(left), await windows(right))) out.push(v.name);
  }
  return out;
}
