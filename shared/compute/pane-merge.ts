import type { Accumulator, MeasureStates } from './aggregate.ts';
import type { Pane } from './pane.ts';
import type { CompiledView } from './pipeline.ts';

/** One window's merged result, with the tags (e.g. layers) of the panes it was merged from. */
export interface MergedWindow<Tag extends string = string> {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly acc: Accumulator;
  /** The object measures' states (decoded, owned by this window); absent when the view has none. */
  readonly states?: MeasureStates;
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
    let cur: { start: number; end: number; acc: Accumulator; states: MeasureStates | undefined; tags: Set<Tag> } | undefined;
    const emit = (c: NonNullable<typeof cur>) => out.push({ key, start: c.start, end: c.end, acc: c.acc, ...(c.states && { states: c.states }), tags: [...c.tags].sort() });
    for (const { pane, tag } of list) {
      const joins = cur !== undefined && (session ? pane.start < cur.end : pane.start === cur.start);
      if (cur && joins) {
        agg.mergeInto(cur.acc, pane.acc);
        if (cur.states) agg.mergeStatesInto(cur.states, agg.decodeStates(pane.states)!);
        if (pane.end > cur.end) cur.end = pane.end;
        cur.tags.add(tag);
      } else {
        if (cur) emit(cur);
        cur = { start: pane.start, end: pane.end, acc: pane.acc.slice(), states: agg.decodeStates(pane.states), tags: new Set([tag]) };
      }
    }
    if (cur) emit(cur);
  }
  return out;
}
