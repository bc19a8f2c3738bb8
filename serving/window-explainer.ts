import { computeGroundTruth } from '../compare/ground-truth.ts';
import type { TooLateRecord } from '../shared/compute/late-footprint.ts';
import type { MeasureResults } from '../shared/compute/aggregate.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { BadRequestError } from '../shared/errors.ts';
import { slideOf } from '../shared/time/fixed-window.ts';
import type { QueryService } from './query-service.ts';
import type { ServingMode } from './serving-mode.ts';
import { explainWindow, tooLateEntries, type LoggedRecord, type TruthInput, type WindowExplanation } from './window-explanation.ts';

/** One explain request: the window of `key` (none for a global view) starting at `start`, as `mode` serves it. */
export interface ExplainQuery {
  readonly view: string;
  readonly key?: string;
  readonly start: number;
  readonly mode: ServingMode;
}

export interface WindowExplainerDeps {
  readonly service: QueryService;
  readonly pipeline: Pipeline;
  /** The late topic's records (none when no job writes side outputs). */
  readonly lateRecords: () => Promise<readonly TooLateRecord[]>;
  /** The master dataset's records of the event-time hours overlapping [from, to), in log order; absent where it cannot be read. */
  readonly masterRecords?: (from: number, to: number) => Promise<readonly LoggedRecord[]>;
}

/**
 * Explains one served window (window-explanation.ts) from what it reads: the window as the query
 * service serves it, the late topic, and the master dataset's records of the window's hours,
 * through which the truth is computed by the independent oracle (compare/definition-truth.ts)
 * when the window lies below the batch horizon (its hours complete). The one function behind
 * GET /v1/explain/{view} and `lk explain`.
 */
export class WindowExplainer {
  readonly #deps: WindowExplainerDeps;

  constructor(deps: WindowExplainerDeps) {
    this.#deps = deps;
  }

  async explain(q: ExplainQuery): Promise<WindowExplanation> {
    const { service, pipeline } = this.#deps;
    const view = pipeline.view(q.view);
    if (view.keyFields.length === 0 && q.key !== undefined) throw new BadRequestError('key', `view ${view.name} is global (not keyed); omit key`);
    if (view.keyFields.length > 0 && q.key === undefined) throw new BadRequestError('key', `is required: view ${view.name} is keyed by ${view.keyFields.join(', ')}`);
    const spec = view.def.window;
    if (spec.kind !== 'session' && q.start % slideOf(spec) !== 0) {
      const slide = slideOf(spec);
      throw new BadRequestError('start', `is not a window start of view ${view.name}: its windows start every ${slide / 1000} s, e.g. ${new Date(Math.floor(q.start / slide) * slide).toISOString()}`);
    }
    const key = q.key ?? '*';
    const answer = await service.query({ view: q.view, key: q.key, from: q.start, to: q.start + 1, mode: q.mode });
    const served = answer.windows.find((w) => Date.parse(w.start) === q.start) ?? null;
    const horizon = answer.batchHorizon === null ? null : Date.parse(answer.batchHorizon);
    const f = answer.freshness;
    const state = { asOf: f.asOf, batchHorizon: answer.batchHorizon, batchRun: answer.batchRun, kappaVersion: answer.kappaVersion, watermark: f.watermark, finalBefore: f.finalBefore };

    // A session's end is its own: the served one's, else the truth's (below), else a gap on.
    let end = served !== null ? Date.parse(served.end) : spec.kind === 'session' ? q.start + spec.gapMs : q.start + spec.sizeMs;
    const reach = spec.kind === 'session' ? spec.gapMs : 0;
    const master = this.#deps.masterRecords ? await this.#deps.masterRecords(q.start - reach, end) : null;
    const late = await this.#deps.lateRecords();

    let truth: TruthInput;
    if (master === null) truth = { known: false, reason: 'the master dataset is not available here' };
    else if (horizon === null) truth = { known: false, reason: 'no batch is published yet, so no hour is known to be complete' };
    else if (end > horizon) truth = { known: false, reason: `the window ends after the batch horizon ${new Date(horizon).toISOString()}: its hours are not complete yet` };
    else {
      const all = await this.#truthWindow(q.view, key, q.start, master);
      if (served === null && all !== null) end = all.end;
      const window = { start: q.start, end };
      const uncounted = new Set(tooLateEntries({ pipeline, view, key, window, mode: q.mode, horizon, late }).filter((e) => !e.counted).map((e) => e.eventId));
      const without = uncounted.size === 0 ? undefined : await this.#truthWindow(q.view, key, q.start, master.filter((r) => !hasId(pipeline, r, uncounted)));
      truth = { known: true, window: all, withoutUncountedLate: without === undefined ? undefined : (without?.measures ?? null) };
    }
    const window = { start: q.start, end };
    const tooLate = tooLateEntries({ pipeline, view, key, window, mode: q.mode, horizon, late });
    return explainWindow({
      pipeline,
      view,
      key,
      window,
      mode: q.mode,
      served: served === null ? null : { layers: served.layers, measures: served.measures, value: served.value, final: served.final },
      state,
      tooLate,
      master,
      truth,
    });
  }

  /** The truth's window of a key at a start, from some raw records (the definitions' oracle). */
  async #truthWindow(view: string, key: string, start: number, records: readonly LoggedRecord[]): Promise<{ start: number; end: number; measures: MeasureResults } | null> {
    const truth = await computeGroundTruth(this.#deps.pipeline, records);
    const w = (truth.views[view] ?? []).find((t) => t.key === key && t.start === start);
    return w === undefined ? null : { start: w.start, end: w.end, measures: { ...w.values } };
  }
}

function hasId(pipeline: Pipeline, r: LoggedRecord, ids: ReadonlySet<string>): boolean {
  const v = pipeline.validator.validateRecord(r.value, r.timestamp);
  return v.ok && ids.has(pipeline.idOf(v.event));
}
