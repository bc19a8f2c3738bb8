import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import { combineSameStart, compareWindows } from './compare-views.ts';
import type { ModeName } from './comparison-report.ts';
import type { TruthWindow } from './ground-truth.ts';

/**
 * One view's error per window start: for each mode and additive measure (count, sum), the sum over
 * keys of |mode - truth| of the windows starting there (a missing or extra window counts as 0 on
 * its absent side, as compareWindows judges). `starts` holds every start of the truth or of any
 * mode, so a window without error shows as 0.
 */
export interface WindowErrors {
  readonly starts: readonly number[];
  /** The latest end of the windows at each of `starts` (sessions of several keys may share a start). */
  readonly ends: readonly number[];
  /** The additive measures, in the view's order. */
  readonly measures: readonly string[];
  /** Those of them that count events (the others are sums). */
  readonly counts: readonly string[];
  /** Per mode, per measure, the error at each of `starts`. */
  readonly modes: Partial<Record<ModeName, Readonly<Record<string, readonly number[]>>>>;
}

/** Each mode's error per window start of one view against the truth (see WindowErrors). */
export function windowErrors(view: CompiledView, modes: Partial<Record<ModeName, readonly MergedWindow[]>>, truth: readonly TruthWindow[]): WindowErrors {
  const measures = view.def.measures.filter((m) => m.op === 'count' || m.op === 'sum').map((m) => m.name);
  const combined = Object.entries(modes).map(([mode, windows]) => [mode as ModeName, combineSameStart(view, windows)] as const);
  const ends = new Map<number, number>();
  const see = (w: { readonly start: number; readonly end: number }) => ends.set(w.start, Math.max(ends.get(w.start) ?? w.end, w.end));
  truth.forEach(see);
  for (const [, windows] of combined) windows.forEach(see);
  const sorted = [...ends.keys()].sort((a, b) => a - b);
  const index = new Map(sorted.map((s, i) => [s, i]));
  const out: Partial<Record<ModeName, Record<string, number[]>>> = {};
  for (const [mode, windows] of combined) {
    const errors: Record<string, number[]> = Object.fromEntries(measures.map((m) => [m, sorted.map(() => 0)]));
    compareWindows(view, windows, truth, (m, t) => {
      // A session matched by overlap is placed at the truth's start, where the truth has it.
      const at = index.get((t ?? m)!.start)!;
      for (const name of measures) errors[name][at] += Math.abs((m?.values[name] ?? 0) - (t?.values[name] ?? 0));
    });
    out[mode] = errors;
  }
  const counts = view.def.measures.filter((m) => m.op === 'count').map((m) => m.name);
  return { starts: sorted, ends: sorted.map((s) => ends.get(s)!), measures, counts, modes: out };
}
