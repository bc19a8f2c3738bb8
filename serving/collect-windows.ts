import type { Pane } from '../shared/compute/pane.ts';
import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import { LkError } from '../shared/errors.ts';
import { mergeLayers, type Layer, type LayerPanes } from './layer-merge.ts';
import type { ServingMode } from './serving-mode.ts';

/** Fetches both layers' panes whose windows overlap [from, to). */
export type LayerPaneFetch = (from: number, to: number) => Promise<LayerPanes>;

export interface CollectRequest {
  readonly view: CompiledView;
  readonly mode: ServingMode;
  readonly horizon: number | null;
  /** The windows wanted: those overlapping [from, to). */
  readonly from: number;
  readonly to: number;
  /** Stop with this error's message when more panes than this would be held in memory. */
  readonly maxPanes: number;
  readonly tooManyPanes: () => Error;
}

/** Bound on fetch rounds; a session chain longer than this many extensions is a runaway key. */
const MAX_ROUNDS = 1_000;

/**
 * The complete windows of a mode overlapping [from, to), with the panes fetched by range.
 *
 * Fixed windows: a window overlaps the range exactly when its panes do, one fetch suffices.
 * Sessions: a session overlapping the range can be made of fragments (per bucket, partition and
 * layer) that do not, e.g. the bucket-10 fragment of a session that runs 10:00-15:30 when asking
 * for 15:00-15:10. Fetching with a margin of one gap catches the usual case; beyond that, a
 * merged session reaching outside the fetched range [a, b) may have unfetched fragments only
 * there (a fragment that overlaps none of [a, b) lies wholly before a or after b, so it can join
 * only a session starting before a or ending after b). So extend the range to such sessions and
 * fetch just the new strips until every wanted session lies inside it: a fixed point, exact for
 * sessions of any length.
 */
export async function collectWindows(req: CollectRequest, fetch: LayerPaneFetch): Promise<MergedWindow<Layer>[]> {
  const { view, mode, horizon, from, to } = req;
  const spec = view.def.window;
  const margin = spec.kind === 'session' ? spec.gapMs : 0;
  let a = from - margin;
  let b = to + margin;
  const batch: Pane[] = [];
  const speed: Pane[] = [];
  const add = (p: LayerPanes, keep: (pane: Pane) => boolean): void => {
    for (const pane of p.batch) if (keep(pane)) batch.push(pane);
    for (const pane of p.speed) if (keep(pane)) speed.push(pane);
    if (batch.length + speed.length > req.maxPanes) throw req.tooManyPanes();
  };
  add(await fetch(a, b), () => true);
  for (let round = 0; ; round++) {
    const wanted = mergeLayers(view, mode, { batch, speed }, horizon).filter((w) => w.end > from && w.start < to);
    if (spec.kind !== 'session') return wanted;
    let newA = a;
    let newB = b;
    for (const w of wanted) {
      if (w.start < newA) newA = w.start - margin;
      if (w.end > newB) newB = w.end + margin;
    }
    if (newA === a && newB === b) return wanted;
    if (round >= MAX_ROUNDS) throw new LkError(`view ${view.name}: a session kept growing after ${MAX_ROUNDS} fetches; narrow the query with key`);
    // Strips only: a pane overlapping [newA, a) but not [a, b) ends by a, one overlapping [b, newB) but not [a, b) starts from b.
    const oldA = a;
    const oldB = b;
    if (newA < oldA) add(await fetch(newA, oldA), (p) => p.end <= oldA);
    if (newB > oldB) add(await fetch(oldB, newB), (p) => p.start >= oldB);
    a = newA;
    b = newB;
  }
}
