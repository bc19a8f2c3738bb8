import type { Accumulator } from './aggregate.ts';
import type { Pane } from './pane.ts';
import type { CompiledView } from './pipeline.ts';

/** One window's merged result, with the tags (e.g. layers) of the panes it was merged from. */
export interface MergedWindow<Tag extends string = string> {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly acc: Accumulator;
  readonly tags: readonly Tag[];
}

export interface TaggedPane<Tag extends string = string> {
  readonly pane: Pane;
  readonly tag: Tag;
}

/**
 * Merges partial panes (from buckets, partitions and layers) into windows, by the view's combine.
 * Fixed windows merge panes with the same start. Session fragments merge when their windows
 * overlap (half-open), which is order-independent, so a session cut by the batch horizon or by
 * a bucket boundary comes back as one session. Output is sorted by key, then start.
 */
export function mergePanes<Tag extends string>(view: CompiledView, panes: Iterable<TaggedPane<Tag>>): MergedWindow<Tag>[] {
  const byKey = new Map<string, TaggedPane<Tag>[]>();
  for (const tp of panes) {
    let list = byKey.get(tp.pane.key);
    if (!list) byKey.set(tp.pane.key, (list = []));
    list.push(tp);
  }
  const agg = view.aggregate;
  const session = view.def.window.kind === 'session';
  const out: MergedWindow<Tag>[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const list = byKey.get(key)!;
    list.sort((a, b) => a.pane.start - b.pane.start || a.pane.end - b.pane.end);
    let cur: { start: number; end: number; acc: Accumulator; tags: Set<Tag> } | undefined;
    for (const { pane, tag } of list) {
      const joins = cur !== undefined && (session ? pane.start < cur.end : pane.start === cur.start);
      if (cur && joins) {
        agg.mergeInto(cur.acc, pane.acc);
        if (pane.end > cur.end) cur.end = pane.end;
        cur.tags.add(tag);
      } else {
        if (cur) out.push({ key, start: cur.start, end: cur.end, acc: cur.acc, tags: [...cur.tags].sort() });
        cur = { start: pane.start, end: pane.end, acc: pane.acc.slice(), tags: new Set([tag]) };
      }
    }
    if (cur) out.push({ key, start: cur.start, end: cur.end, acc: cur.acc, tags: [...cur.tags].sort() });
  }
  return out;
}
