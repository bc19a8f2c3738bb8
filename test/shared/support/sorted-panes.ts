import { paneIdString, type Pane } from '../../../shared/compute/pane.ts';

/** Panes as plain data in a canonical order (by id), so two computations compare with toEqual. */
export function sortedPanes(panes: Iterable<Pane>): Pane[] {
  return [...panes]
    .map((p) => ({ view: p.view, key: p.key, start: p.start, end: p.end, bucket: p.bucket, acc: p.acc.slice() }))
    .sort((a, b) => (paneIdString(a) < paneIdString(b) ? -1 : paneIdString(a) > paneIdString(b) ? 1 : 0));
}
