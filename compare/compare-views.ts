import type { Accumulator, MeasureResults, MeasureStates } from '../shared/compute/aggregate.ts';
import type { MergedWindow } from '../shared/compute/pane-merge.ts';
import type { CompiledView } from '../shared/compute/pipeline.ts';
import type { TruthWindow } from './ground-truth.ts';
import { measureResultMatches } from './measure-result-match.ts';

/** How one mode's windows of one view compare to the truth. */
export interface ViewComparison {
  /** Windows in the mode or the truth (a matched pair counts once). */
  readonly windows: number;
  /**
   * Windows whose bounds and every measure equal the truth exactly (an estimate within its
   * kind's tolerance, measure-result-match.ts). A missing (or extra) window is judged as the
   * view's empty accumulator (0 for count/sum), so it is exact only if the other side is empty too.
   */
  readonly exact: number;
  /** In the truth, not in the mode. */
  readonly missing: number;
  /** In the mode, not in the truth. */
  readonly extra: number;
  /**
   * Per additive measure (count and sum; min/max measures such as first_event_time are not
   * additive and are judged by `exact` only): the sum over windows of |mode - truth|, in the
   * measure's unit (events, cents). A missing or extra window counts as 0 on its absent side.
   */
  readonly absError: Readonly<Record<string, number>>;
}

/** One window with its measures by name, from any source. */
export interface ComparedWindow {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly values: MeasureResults;
}

/**
 * Compares a mode's merged windows of one view with the truth's, key by key. Fixed windows match
 * by start. Sessions match when they overlap, first with first: a session that lost its first or
 * last event (say, too late for the stream) is still the same session, off by one event, rather
 * than a missing plus an extra one. Mode windows with the same key and start are combined with
 * the view's aggregate first, as serving would.
 */
export function compareView(view: CompiledView, mode: Iterable<MergedWindow>, truth: readonly TruthWindow[]): ViewComparison {
  return compareWindows(view, combineSameStart(view, mode), truth);
}

/**
 * compareView over windows that already have named measures and one window per key and start (as
 * the HTTP API serves them). `onDiffer` sees each pair that is not exact (either side undefined
 * when missing or extra), for a diff a person reads.
 */
export function compareWindows(view: CompiledView, mode: Iterable<ComparedWindow>, truth: readonly TruthWindow[], onDiffer?: (mode: ComparedWindow | undefined, truth: ComparedWindow | undefined) => void): ViewComparison {
  const measures = view.measures;
  const empty = view.aggregate.named(view.aggregate.empty(), view.aggregate.emptyStates());
  const additive = measures.filter((m) => m.op === 'count' || m.op === 'sum').map((m) => m.name);
  const absError: Record<string, number> = Object.fromEntries(additive.map((n) => [n, 0]));
  const counts = { windows: 0, exact: 0, missing: 0, extra: 0 };

  const judge = (m: ComparedWindow | undefined, t: ComparedWindow | undefined) => {
    counts.windows++;
    if (!m) counts.missing++;
    if (!t) counts.extra++;
    const mv = m?.values ?? empty;
    const tv = t?.values ?? empty;
    let equal = !m || !t || (m.start === t.start && m.end === t.end);
    for (const x of measures) if (!measureResultMatches(x, mv[x.name], tv[x.name])) equal = false;
    // Counts and sums are always numbers.
    for (const n of additive) absError[n] += Math.abs((mv[n] as number) - (tv[n] as number));
    if (equal) counts.exact++;
    else onDiffer?.(m, t);
  };

  const modeByKey = groupByKey(mode);
  const truthByKey = groupByKey(truth);
  const session = view.def.window.kind === 'session';
  for (const key of new Set([...modeByKey.keys(), ...truthByKey.keys()])) {
    const ms = modeByKey.get(key) ?? [];
    const ts = truthByKey.get(key) ?? [];
    let i = 0;
    let j = 0;
    while (i < ts.length && j < ms.length) {
      const t = ts[i];
      const m = ms[j];
      // Sessions of one key never overlap each other, so "ends before the other starts" orders them.
      const modeFirst = session ? m.end <= t.start : m.start < t.start;
      const truthFirst = session ? t.end <= m.start : t.start < m.start;
      if (modeFirst) {
        judge(m, undefined);
        j++;
      } else if (truthFirst) {
        judge(undefined, t);
        i++;
      } else {
        judge(m, t);
        i++;
        j++;
      }
    }
    for (; i < ts.length; i++) judge(undefined, ts[i]);
    for (; j < ms.length; j++) judge(ms[j], undefined);
  }
  return { ...counts, absError };
}

/** Merged windows with one per key and start (combined by the view's aggregate) and measures by name. */
export function combineSameStart(view: CompiledView, mode: Iterable<MergedWindow>): ComparedWindow[] {
  const agg = view.aggregate;
  const byId = new Map<string, { key: string; start: number; end: number; acc: Accumulator; states: MeasureStates | undefined }>();
  for (const w of mode) {
    const id = `${w.key}\u0000${w.start}`;
    const seen = byId.get(id);
    if (seen) {
      agg.mergeInto(seen.acc, w.acc);
      if (seen.states && w.states) agg.mergeStatesInto(seen.states, w.states);
      if (w.end > seen.end) seen.end = w.end;
    } else byId.set(id, { key: w.key, start: w.start, end: w.end, acc: w.acc.slice(), states: w.states && agg.decodeStates(agg.encodeStates(w.states)) });
  }
  return [...byId.values()].map((w) => ({ key: w.key, start: w.start, end: w.end, values: agg.named(w.acc, w.states) }));
}

function groupByKey(windows: Iterable<ComparedWindow>): Map<string, ComparedWindow[]> {
  const out = new Map<string, ComparedWindow[]>();
  for (const w of windows) {
    let list = out.get(w.key);
    if (!list) out.set(w.key, (list = []));
    list.push(w);
  }
  for (const list of out.values()) list.sort((a, b) => a.start - b.start);
  return out;
}
