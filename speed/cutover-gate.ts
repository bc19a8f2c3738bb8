import type { MeasureResults } from '../shared/compute/aggregate.ts';
import { combineSameStart, compareWindows, type ComparedWindow } from '../compare/compare-views.ts';
import type { LateFootprint } from '../shared/compute/late-footprint.ts';
import { mergePanes } from '../shared/compute/pane-merge.ts';
import type { Pane } from '../shared/compute/pane.ts';
import type { CompiledView, Pipeline } from '../shared/compute/pipeline.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import type { BatchSnapshot } from '../serving/batch-pane-source.ts';
import { streamPosition } from '../shared/compute/stream-position.ts';

/** How far a new Kappa version may differ before its cut-over is refused: shares of the windows compared. */
export interface CutoverThresholds {
  /**
   * Against the version serving now (default 0): the same log through the same transform gives
   * the same windows, so any difference means the pipeline or the code changed.
   */
  readonly maxDivergence: number;
  /**
   * Against the batch layer below its horizon (default 0): the stream drops the too-late events
   * batch counts, so windows those touch (CutoverGateDeps.late) differ by design and are not
   * counted; any other difference is a divergence.
   */
  readonly maxBatchDivergence: number;
}

export const DEFAULT_CUTOVER_THRESHOLDS: CutoverThresholds = { maxDivergence: 0, maxBatchDivergence: 0 };

/** One window that differs: the candidate's measures and the reference's (null where the window is absent). */
export interface WindowDiff {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly candidate: MeasureResults | null;
  readonly reference: MeasureResults | null;
}

/** One view of the candidate against one reference, over the final windows both hold. */
export interface ViewDiff {
  readonly view: string;
  /** The version serving now (kappa_vN) or `batch`. */
  readonly reference: string;
  /** Windows ending at or before this were compared (final in both). */
  readonly until: number;
  readonly compared: number;
  readonly differing: number;
  readonly missing: number;
  readonly extra: number;
  /** Windows that differ from batch only where too-late events fall (not in `differing`). */
  readonly explainedByLate: number;
  /** differing / compared (0 when nothing was compared). */
  readonly divergence: number;
  readonly threshold: number;
  /** The first few differing windows. */
  readonly samples: readonly WindowDiff[];
  /** Why it could not be compared (a view the reference does not have), instead of numbers. */
  readonly skipped?: string;
}

export interface CutoverVerdict {
  /** Every compared view is within its threshold. */
  readonly ok: boolean;
  readonly diffs: readonly ViewDiff[];
}

export interface CutoverGateDeps {
  readonly views: ViewStore;
  readonly pipeline: Pipeline;
  /** The published batch, when there is one to compare with. */
  readonly batch?: BatchSnapshot;
  /** The windows the stream's too-late events touch (read from the late topic): differences from batch there are expected. */
  readonly late?: LateFootprint;
}

const SAMPLES = 5;

/**
 * The correctness gate of a Kappa cut-over: compares the candidate version with the version
 * serving now and with the batch layer, each over the final windows they share (ending by both
 * sides' lateness bound, or by the batch horizon), view by view. The cut-over may go ahead only
 * when every divergence is within its threshold; the diffs say which windows differ and by what.
 */
export async function gateCutover(deps: CutoverGateDeps, candidate: string, current: string | undefined, thresholds: CutoverThresholds = DEFAULT_CUTOVER_THRESHOLDS): Promise<CutoverVerdict> {
  const { views, pipeline } = deps;
  const position = async (namespace: string) => streamPosition((await views.checkpoints(namespace)).values(), pipeline.config.lateness);
  const candidateBound = (await position(candidate)).lateBefore;
  // The version serving may be a live job still behind the log: a partition it lags on looks idle
  // (its last append far behind the others'), so its windows count as settled only by the strict
  // bound over every partition, idle or not (as alerts read them).
  const currentBound = current === undefined || current === candidate ? undefined : (await position(current)).settledBefore;
  const diffs: ViewDiff[] = [];
  const currentViews = current === undefined ? undefined : await viewsHolding(views, current, pipeline);
  for (const view of pipeline.views) {
    if (current !== undefined && current !== candidate) {
      const until = Math.min(candidateBound, currentBound!);
      if (!currentViews!.has(view.name)) diffs.push(skipped(view, current, until, thresholds.maxDivergence, `${current} has no windows of this view (a new view)`));
      else diffs.push(diffView(view, current, until, thresholds.maxDivergence, await streamWindows(views, candidate, view, until), await streamWindows(views, current, view, until), undefined));
    }
    const horizon = deps.batch?.horizon ?? null;
    if (deps.batch && horizon !== null) {
      const until = Math.min(candidateBound, horizon);
      const panes = await deps.batch.panes({ view: view.name, from: Number.MIN_SAFE_INTEGER, to: until, maxBucket: horizon });
      diffs.push(diffView(view, 'batch', until, thresholds.maxBatchDivergence, await streamWindows(views, candidate, view, until), finalWindows(view, panes, until), deps.late));
    }
  }
  return { ok: diffs.every((d) => d.skipped !== undefined || d.divergence <= d.threshold), diffs };
}

/** The views a namespace holds any pane of (a view added since it was built has none). */
async function viewsHolding(views: ViewStore, namespace: string, pipeline: Pipeline): Promise<Set<string>> {
  const out = new Set<string>();
  for (const v of pipeline.views) {
    if ((await views.queryPanes(namespace, { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER, maxRows: 1 })).length > 0) out.add(v.name);
  }
  return out;
}

async function streamWindows(views: ViewStore, namespace: string, view: CompiledView, until: number): Promise<ComparedWindow[]> {
  return finalWindows(view, await views.queryPanes(namespace, { view: view.name, from: Number.MIN_SAFE_INTEGER, to: until }), until);
}

/** The windows of some panes (merged across partitions and buckets) that end by `until`. */
function finalWindows(view: CompiledView, panes: readonly Pane[], until: number): ComparedWindow[] {
  const merged = mergePanes(view, panes.map((pane) => ({ pane, tag: 'x' })));
  return combineSameStart(view, merged.filter((w) => w.end <= until));
}

function diffView(view: CompiledView, reference: string, until: number, threshold: number, candidate: ComparedWindow[], ref: ComparedWindow[], late: LateFootprint | undefined): ViewDiff {
  const samples: WindowDiff[] = [];
  let explainedByLate = 0;
  const c = compareWindows(view, candidate, ref, (m, t) => {
    if (late && [m, t].some((w) => w !== undefined && late.touches(view.name, w.key, w))) {
      explainedByLate++;
      return;
    }
    if (samples.length >= SAMPLES) return;
    const w = (m ?? t)!;
    samples.push({ key: w.key, start: w.start, end: w.end, candidate: m?.values ?? null, reference: t?.values ?? null });
  });
  const differing = c.windows - c.exact - explainedByLate;
  return { view: view.name, reference, until, compared: c.windows, differing, missing: c.missing, extra: c.extra, explainedByLate, divergence: c.windows === 0 ? 0 : differing / c.windows, threshold, samples };
}

function skipped(view: CompiledView, reference: string, until: number, threshold: number, why: string): ViewDiff {
  return { view: view.name, reference, until, compared: 0, differing: 0, missing: 0, extra: 0, explainedByLate: 0, divergence: 0, threshold, samples: [], skipped: why };
}

/** The verdict for a person: one line per view and reference, then the sample windows of those over their threshold. */
export function describeVerdict(candidate: string, v: CutoverVerdict): string {
  const lines: string[] = [];
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : String(t));
  for (const d of v.diffs) {
    if (d.skipped) {
      lines.push(`  ${d.view} vs ${d.reference}: not compared (${d.skipped})`);
      continue;
    }
    const over = d.divergence > d.threshold;
    lines.push(
      `  ${d.view} vs ${d.reference}: ${d.differing.toLocaleString('en-US')} of ${d.compared.toLocaleString('en-US')} final windows differ ` +
        `(${(d.divergence * 100).toFixed(3)}%, threshold ${(d.threshold * 100).toFixed(3)}%; ${d.missing} only in ${d.reference}, ${d.extra} only in ${candidate}` +
        `${d.explainedByLate > 0 ? `; ${d.explainedByLate.toLocaleString('en-US')} more differ only by too-late events` : ''}) up to ${iso(d.until)}${over ? '  <- over' : ''}`,
    );
    if (!over) continue;
    for (const s of d.samples) {
      const show = (x: MeasureResults | null) => (x === null ? 'absent' : Object.entries(x).map(([k, n]) => `${k}=${typeof n === 'object' && n !== null ? JSON.stringify(n) : n}`).join(' '));
      lines.push(`      key ${s.key} [${iso(s.start)}, ${iso(s.end)}): ${candidate} ${show(s.candidate)} | ${d.reference} ${show(s.reference)}`);
    }
  }
  if (!v.ok) {
    lines.push(
      '  Why: the same log gives the same windows unless the pipeline or the code changed; against batch, windows differing only where too-late events fall are expected and not counted (read from the late topic), so the others are not explained by lateness.',
    );
  }
  return lines.join('\n');
}
