import type { Pane, PaneId } from '../../shared/compute/pane.ts';
import type { StoredPane } from '../../shared/ports/view-store.ts';
import { float8ArrayLiteral, int8ArrayLiteral, nullableTextArrayLiteral, textArrayLiteral } from './array-literal.ts';

/** Panes as the column array literals of PaneTable.upsertSql (after the partition parameter); the states column is null when no pane has object states. */
export function upsertColumns(panes: readonly Pane[]): (string | null)[] {
  const n = panes.length;
  const views = new Array<string>(n);
  const keys = new Array<string>(n);
  const starts = new Array<number>(n);
  const ends = new Array<number>(n);
  const buckets = new Array<number>(n);
  const accs = new Array<string>(n);
  let states: (string | undefined)[] | null = null;
  for (let i = 0; i < n; i++) {
    const p = panes[i];
    views[i] = p.view;
    keys[i] = p.key;
    starts[i] = p.start;
    ends[i] = p.end;
    buckets[i] = p.bucket;
    accs[i] = float8ArrayLiteral(p.acc);
    if (p.states !== undefined) (states ??= new Array<string | undefined>(n))[i] = p.states;
  }
  return [
    textArrayLiteral(views),
    textArrayLiteral(keys),
    int8ArrayLiteral(starts),
    int8ArrayLiteral(ends),
    int8ArrayLiteral(buckets),
    textArrayLiteral(accs),
    states === null ? null : nullableTextArrayLiteral(Array.from(states, (s) => s)),
  ];
}

/** Pane ids as the column array literals of PaneTable.deleteSql (after the partition parameter). */
export function deleteColumns(ids: readonly PaneId[]): string[] {
  return [
    textArrayLiteral(ids.map((d) => d.view)),
    textArrayLiteral(ids.map((d) => d.key)),
    int8ArrayLiteral(ids.map((d) => d.start)),
    int8ArrayLiteral(ids.map((d) => d.bucket)),
  ];
}

/** A row of the panes table as a StoredPane; pg returns bigint as a string (epoch ms fit a double). */
export function storedPaneOf(row: Record<string, unknown>): StoredPane {
  return {
    view: row.view as string,
    key: row.key as string,
    start: Number(row.start),
    end: Number(row.end),
    bucket: Number(row.bucket),
    partition: row.partition as number,
    acc: row.acc as number[],
    ...(row.states !== null && row.states !== undefined && { states: row.states as string }),
  };
}
