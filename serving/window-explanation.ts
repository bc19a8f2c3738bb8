import { touchesWindow, type TooLateRecord } from '../shared/compute/late-footprint.ts';
import type { CompiledView, Pipeline } from '../shared/compute/pipeline.ts';
import type { Event } from '../shared/model/event.ts';
import { bucketOf } from '../shared/time/bucket.ts';
import type { Window } from '../shared/time/window.ts';
import type { ServingMode } from './serving-mode.ts';
import { measureResultMatches } from '../compare/measure-result-match.ts';
import type { MeasureResults } from '../shared/compute/aggregate.ts';
import { presentWindow, type PresentedValues } from '../shared/compute/view-def.ts';

/**
 * Why one window has the value it is served with (GET /v1/explain/{view}, `lk explain`): pure,
 * over what the explainer read (window-explainer.ts): the served window, the late topic, the
 * master dataset's records of the window's hours and the truth computed from them.
 */

/** A raw record of the log with its position (what the master dataset keeps). */
export interface LoggedRecord {
  readonly value: string;
  readonly timestamp: number;
  readonly partition: number;
  readonly offset: number;
}

/** A position in the events topic. */
export interface LogPosition {
  readonly partition: number | null;
  readonly offset: number | null;
}

/** A too-late event that falls in the window (or, for a session, within a gap of it). */
export interface TooLateEntry extends LogPosition {
  readonly eventId: string;
  readonly eventTime: string;
  /** The lateness bound of its partition when it was read (watermark minus allowed lateness). */
  readonly lateBefore: string | null;
  /** How far behind that bound its event time was (ms). */
  readonly lateByMs: number | null;
  /** Whether the serving mode counts it: only the batch layer does (Lambda below the horizon, or batch). */
  readonly counted: boolean;
}

/** An event id the master dataset holds several copies of, whose first copy is in the window. */
export interface DuplicateEntry {
  readonly eventId: string;
  readonly copies: number;
  /** The copy every layer counts (the first in log order). */
  readonly kept: LogPosition;
  /** The copies every layer drops. */
  readonly dropped: readonly LogPosition[];
}

/** One event of the window, by id and position. */
export interface EventEntry extends LogPosition {
  readonly eventId: string;
  readonly eventTime: string;
}

/** A window's measures, raw and presented. */
export interface WindowValues {
  readonly start: string;
  readonly end: string;
  readonly measures: MeasureResults;
  readonly value: PresentedValues;
}

/** What serving answered for the window. */
export interface ServedSide {
  /** The Lambda layers merged into it, or in kappa mode the Kappa version. */
  readonly layers: readonly string[];
  readonly measures: MeasureResults;
  readonly value: PresentedValues;
  readonly final: boolean;
}

/** The state the answer was read at. */
export interface ServedState {
  readonly asOf: string;
  readonly batchHorizon: string | null;
  readonly batchRun: string | null;
  readonly kappaVersion: string | null;
  readonly watermark: string | null;
  readonly finalBefore: string | null;
}

/** The truth of the window, as the explainer computed it, or why it is not known. */
export type TruthInput =
  | {
      readonly known: true;
      /** The truth's window of this key at this start (null: the truth has none). */
      readonly window: { readonly start: number; readonly end: number; readonly measures: MeasureResults } | null;
      /** The same, computed without the too-late events the mode does not count (absent when there are none). */
      readonly withoutUncountedLate?: MeasureResults | null;
    }
  | { readonly known: false; readonly reason: string };

export interface ExplanationInput {
  readonly pipeline: Pipeline;
  readonly view: CompiledView;
  readonly key: string;
  readonly window: Window;
  readonly mode: ServingMode;
  /** Null when serving has no window of this key at this start. */
  readonly served: ServedSide | null;
  readonly state: ServedState;
  readonly tooLate: readonly TooLateEntry[];
  /** The master dataset's records of the window's hours in log order; null when it was not read. */
  readonly master: readonly LoggedRecord[] | null;
  readonly truth: TruthInput;
}

export interface WindowExplanation {
  readonly view: string;
  readonly key: string;
  readonly mode: ServingMode;
  readonly start: string;
  readonly end: string;
  readonly served: (ServedSide & ServedState) | (ServedState & { readonly layers: readonly []; readonly measures: null; readonly value: null; readonly final: false });
  readonly truth:
    | ({ readonly known: true; readonly window: WindowValues | null; readonly equal: boolean; readonly difference: Readonly<Record<string, number>> | null; readonly explainedByTooLate: boolean })
    | { readonly known: false; readonly reason: string };
  /** Too-late events of the late topic that fall in the window; `counted` says whether the mode counts each. */
  readonly tooLate: readonly TooLateEntry[];
  readonly duplicates: { readonly source: string; readonly ids: readonly DuplicateEntry[] | null };
  /**
   * The window's events in buckets at or after the batch horizon (every bucket before the first
   * publish): what the streaming side counts and batch has not computed yet, as far as the master
   * dataset has them archived; too-late ones are listed above instead.
   */
  readonly notYetInBatch: { readonly from: string | null; readonly total: number | null; readonly events: readonly EventEntry[] | null };
  /** One sentence per finding. */
  readonly summary: readonly string[];
}

/** Most events `notYetInBatch` lists (its total counts them all). */
export const MAX_LISTED_EVENTS = 1_000;

/** The too-late records that touch a window of a key, each with how late it was and whether the mode counts it. Pure. */
export function tooLateEntries(input: { pipeline: Pipeline; view: CompiledView; key: string; window: Window; mode: ServingMode; horizon: number | null; late: readonly TooLateRecord[] }): TooLateEntry[] {
  const { pipeline, view, key, window, mode, horizon } = input;
  const bucketMs = pipeline.config.bucketMs;
  const out: TooLateEntry[] = [];
  for (const r of input.late) {
    if (!touchesWindow(view, r.event, key, window)) continue;
    const t = view.timeOf(r.event);
    // Batch recomputes the event's hour from the master dataset, which archives it like any valid event.
    const counted = horizon !== null && bucketOf(t, bucketMs) < horizon && (mode === 'lambda' || mode === 'batch');
    out.push({
      eventId: pipeline.idOf(r.event),
      partition: r.sourcePartition,
      offset: r.sourceOffset,
      eventTime: iso(t),
      lateBefore: r.lateBefore === null ? null : iso(r.lateBefore),
      lateByMs: r.lateBefore === null ? null : r.lateBefore - t,
      counted,
    });
  }
  return out.sort((a, b) => (a.partition ?? -1) - (b.partition ?? -1) || (a.offset ?? -1) - (b.offset ?? -1));
}

/** The explanation of one window. Pure. */
export function explainWindow(input: ExplanationInput): WindowExplanation {
  const { pipeline, view, key, window, mode, served, state, tooLate, master } = input;
  const horizon = state.batchHorizon === null ? null : Date.parse(state.batchHorizon);
  const summary: string[] = [];
  const servedLayers = served === null ? 'nothing' : `${served.layers.join(' + ') || 'no layer'}${mode === 'lambda' && state.batchRun !== null && served.layers.includes('batch') ? ` (batch run ${state.batchRun})` : ''}`;
  summary.push(`${mode} serves ${served === null ? 'no window at this start' : `this window from ${servedLayers}`}${served?.final ? ', final' : ''}.`);

  const { duplicates, inWindow } = master === null ? { duplicates: null, inWindow: null } : scanMaster(pipeline, view, key, window, master);
  const lateIds = new Set(tooLate.map((e) => e.eventId));
  const fresh = inWindow === null ? null : inWindow.filter((e) => !lateIds.has(e.eventId) && (horizon === null || bucketOf(Date.parse(e.eventTime), pipeline.config.bucketMs) >= horizon));

  let truth: WindowExplanation['truth'];
  const t = input.truth;
  if (!t.known) {
    truth = { known: false, reason: t.reason };
    summary.push(`The truth is not known: ${t.reason}.`);
  } else {
    const truthWindow = t.window === null ? null : values(view, t.window.start, t.window.end, t.window.measures);
    const equal = served !== null && t.window !== null && t.window.end === window.end && sameMeasures(view, served.measures, t.window.measures);
    // Per number-valued measure (a top_k list has no difference; `equal` judges it).
    const difference =
      served === null || t.window === null
        ? null
        : Object.fromEntries(
            Object.entries(t.window.measures).flatMap(([m, v]) => {
              const got = served.measures[m] ?? 0;
              return typeof v === 'number' && typeof got === 'number' ? [[m, got - v]] : [];
            }),
          );
    const uncounted = tooLate.filter((e) => !e.counted);
    const explainedByTooLate = !equal && uncounted.length > 0 && served !== null && t.withoutUncountedLate !== undefined && t.withoutUncountedLate !== null && sameMeasures(view, served.measures, t.withoutUncountedLate);
    truth = { known: true, window: truthWindow, equal, difference, explainedByTooLate };
    if (equal) summary.push('It equals the truth computed from the master dataset.');
    else if (t.window === null) summary.push('The truth has no window of this key at this start.');
    else if (served === null) summary.push('The truth has this window; serving does not.');
    else {
      const by = Object.entries(difference!).filter(([, d]) => d !== 0).map(([m, d]) => `${m} ${d > 0 ? '+' : ''}${d}`).join(', ');
      summary.push(`It differs from the truth (${by || `ends ${iso(t.window.end)} there`}).`);
      summary.push(explainedByTooLate ? `Exactly the ${uncounted.length} too-late event(s) listed make the difference: without them the truth equals the served window.` : `The too-late events${uncounted.length === 0 ? ' (none uncounted)' : ''} do not account for all of the difference.`);
    }
  }
  const uncountedLate = tooLate.filter((e) => !e.counted);
  if (tooLate.length > 0) summary.push(`${tooLate.length} too-late event(s) fall in it; ${uncountedLate.length} not counted by ${mode}.`);
  if (duplicates !== null && duplicates.length > 0) summary.push(`${duplicates.length} event id(s) have several copies; every layer counts the first.`);
  if (fresh !== null && fresh.length > 0) summary.push(`${fresh.length} event(s) are in buckets from the batch horizon on: only the streaming side counts them so far.`);

  const servedSide = served === null ? { ...state, layers: [] as const, measures: null, value: null, final: false as const } : { ...served, ...state };
  return {
    view: view.name,
    key,
    mode,
    start: iso(window.start),
    end: iso(window.end),
    served: servedSide,
    truth,
    tooLate,
    duplicates: {
      source:
        duplicates === null
          ? 'not read: the master dataset is not available here'
          : 'the master dataset (every valid copy the log delivered); the streaming layers keep only a count per partition (GET /v1/status, totals.duplicate), not the ids',
      ids: duplicates,
    },
    notYetInBatch: { from: horizon === null ? null : iso(horizon), total: fresh?.length ?? null, events: fresh === null ? null : fresh.slice(0, MAX_LISTED_EVENTS) },
    summary,
  };
}

/** The window's distinct events (first copy by log order) and the ids with several copies whose first is in it. */
function scanMaster(pipeline: Pipeline, view: CompiledView, key: string, window: Window, records: readonly LoggedRecord[]): { duplicates: DuplicateEntry[]; inWindow: EventEntry[] } {
  const copies = new Map<string, { event: Event; positions: LogPosition[] }>();
  for (const r of records) {
    const v = pipeline.validator.validateRecord(r.value, r.timestamp);
    if (!v.ok) continue;
    const id = pipeline.idOf(v.event);
    const seen = copies.get(id);
    if (seen) seen.positions.push({ partition: r.partition, offset: r.offset });
    else copies.set(id, { event: v.event, positions: [{ partition: r.partition, offset: r.offset }] });
  }
  const duplicates: DuplicateEntry[] = [];
  const inWindow: EventEntry[] = [];
  for (const [eventId, { event, positions }] of copies) {
    if (!touchesWindow(view, event, key, window)) continue;
    inWindow.push({ eventId, eventTime: iso(view.timeOf(event)), ...positions[0] });
    if (positions.length > 1) duplicates.push({ eventId, copies: positions.length, kept: positions[0], dropped: positions.slice(1) });
  }
  return { duplicates, inWindow };
}

function values(view: CompiledView, start: number, end: number, measures: MeasureResults): WindowValues {
  return { start: iso(start), end: iso(end), measures, value: presentWindow(view.def, measures, { start, end }) };
}

/** Whether two windows' measures are the same answer (an HLL estimate within its kind's tolerance, compare/measure-result-match.ts). */
function sameMeasures(view: CompiledView, a: MeasureResults, b: MeasureResults): boolean {
  return view.measures.every((m) => measureResultMatches(m, a[m.name], b[m.name]));
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
