import type { MeasureResult } from '../shared/compute/aggregate.ts';
import type { CompiledMeasure } from '../shared/compute/measure.ts';
import type { CompiledView, Pipeline } from '../shared/compute/pipeline.ts';
import type { Event } from '../shared/model/event.ts';
import type { FieldValue } from '../shared/model/field-spec.ts';
import { evaluateExpression } from './evaluate-expression.ts';
import type { GroundTruth, TruthOracle, TruthWindow } from './ground-truth.ts';

/**
 * The ground truth of any pipeline, by brute force from its definitions: every valid record (the
 * shared validator: the input policy), deduplicated by the schema's id field keeping the first
 * copy by log position (the batch job's documented rule), then for each view every window of every
 * key computed directly: a fixed window's events by arithmetic on their times, a key's sessions by
 * sorting its events and splitting where the gap reaches the session gap, filters and measure
 * inputs by walking the definition's tree (evaluate-expression.ts). It shares no code with the
 * incremental engine (ViewState, panes, merges, the generated fold) nor with the SQL twins, and
 * holds the distinct events in memory (a demo's or a test's worth). Measures are computed from
 * their documented meaning (docs/pipelines.md): avg as sum / count, first and last as the value
 * of the earliest (latest) event by time with ties to the smaller (larger) value, distinct values
 * by a Set, top_k by counting every value and sorting; count_distinct_hll is an estimate, and
 * its truth is the exact count (the comparison allows the kind's stated tolerance).
 */
export async function definitionTruth(pipeline: Pipeline): Promise<TruthOracle> {
  const { id, time } = pipeline.config.schema;
  const seen = new Set<string>();
  const events: Event[] = [];
  let records = 0;
  let invalid = 0;
  let duplicate = 0;
  return {
    async load(batch) {
      for (const r of batch) {
        records++;
        const v = pipeline.validator.validateRecord(r.value, r.timestamp);
        if (!v.ok) {
          invalid++;
          continue;
        }
        const eventId = v.event[id] as string;
        if (seen.has(eventId)) {
          duplicate++;
          continue;
        }
        seen.add(eventId);
        events.push(v.event);
      }
    },
    async finish(): Promise<GroundTruth> {
      const views: Record<string, TruthWindow[]> = {};
      for (const view of pipeline.views) views[view.name] = viewWindows(view, events, time);
      return { counts: { records, invalid, duplicate, events: events.length }, views, uncovered: [] };
    },
    async close() {},
  };
}

/** Every window of every key of one view, sorted by key then start (as mergePanes sorts). */
function viewWindows(view: CompiledView, events: readonly Event[], time: string): TruthWindow[] {
  const byKey = new Map<string, Event[]>();
  for (const e of events) {
    if (view.filter && evaluateExpression(view.filter, e) !== true) continue;
    const key = keyOf(view.keyFields.map((f) => e[f]));
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(e);
  }
  const out: TruthWindow[] = [];
  const spec = view.def.window;
  for (const key of [...byKey.keys()].sort()) {
    const list = byKey.get(key)!;
    const windows = new Map<number, { end: number; events: Event[] }>();
    if (spec.kind === 'session') {
      // Sorted by time, ties in log order (a stable sort): a session breaks where the next event is a whole gap or more later.
      const sorted = [...list].sort((a, b) => (a[time] as number) - (b[time] as number));
      let run: Event[] = [];
      for (const e of sorted) {
        if (run.length > 0 && (e[time] as number) - (run[run.length - 1][time] as number) >= spec.gapMs) {
          windows.set(run[0][time] as number, { end: (run[run.length - 1][time] as number) + spec.gapMs, events: run });
          run = [];
        }
        run.push(e);
      }
      if (run.length > 0) windows.set(run[0][time] as number, { end: (run[run.length - 1][time] as number) + spec.gapMs, events: run });
    } else {
      const size = spec.sizeMs;
      const slide = spec.kind === 'sliding' ? spec.slideMs : spec.sizeMs;
      for (const e of list) {
        const t = e[time] as number;
        // Windows [k * slide, k * slide + size) holding t: k from the first whose end is past t to the last starting at or before t.
        for (let k = Math.floor((t - size) / slide) + 1; k * slide <= t; k++) {
          const start = k * slide;
          let w = windows.get(start);
          if (!w) windows.set(start, (w = { end: start + size, events: [] }));
          w.events.push(e);
        }
      }
    }
    for (const start of [...windows.keys()].sort((a, b) => a - b)) {
      const w = windows.get(start)!;
      const values: Record<string, MeasureResult> = {};
      for (const m of view.measures) values[m.name] = measureOf(m, w.events, time);
      out.push({ key, start, end: w.end, values });
    }
  }
  return out;
}

/** A measure over a window's events, straight from its definition. */
function measureOf(m: CompiledMeasure, events: readonly Event[], time: string): MeasureResult {
  // The inputs of the events that contribute, with their times.
  const values: FieldValue[] = [];
  const times: number[] = [];
  for (const e of events) {
    if (m.filter && evaluateExpression(m.filter, e) !== true) continue;
    if (m.op === 'count') {
      values.push(1);
      continue;
    }
    const v = evaluateExpression(m.input!, e);
    if (v !== null) {
      values.push(v);
      times.push(e[time] as number);
    }
  }
  const numbers = values as number[];
  switch (m.op) {
    case 'count':
      return values.length;
    case 'sum':
      return numbers.reduce((a, b) => a + b, 0);
    case 'min':
      return numbers.reduce((a, b) => (b < a ? b : a), Number.POSITIVE_INFINITY);
    case 'max':
      return numbers.reduce((a, b) => (b > a ? b : a), Number.NEGATIVE_INFINITY);
    case 'avg':
      return numbers.length === 0 ? null : numbers.reduce((a, b) => a + b, 0) / numbers.length;
    case 'first':
    case 'last': {
      // Sorted by (time, value): first is the smallest pair, last the largest.
      const pairs = numbers.map((v, i) => [times[i], v] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      if (pairs.length === 0) return null;
      return (m.op === 'first' ? pairs[0] : pairs[pairs.length - 1])[1];
    }
    case 'count_distinct':
    case 'count_distinct_hll':
      return new Set(values).size;
    case 'top_k': {
      const counts = new Map<FieldValue, number>();
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
      return [...counts]
        .sort((a, b) => b[1] - a[1] || valueOrder(a[0], b[0]))
        .slice(0, m.k)
        .map(([value, count]) => ({ value: value as string | number | boolean, count }));
    }
  }
}

/** The documented order of values that top_k breaks ties by: false, true, then numbers ascending, then strings by UTF-16 code units. */
function valueOrder(a: FieldValue, b: FieldValue): number {
  const rank = (v: FieldValue) => (typeof v === 'boolean' ? 0 : typeof v === 'number' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}

/**
 * The key of a tuple of key values, read from the rule documented in shared/compute/key-encoding.ts
 * (the truth's own reading of it, on purpose not the engine's function): none is `*`, one is its
 * text, several are joined by `|` with `\` and `|` escaped by `\`.
 */
function keyOf(values: readonly FieldValue[]): string {
  if (values.length === 0) return '*';
  if (values.length === 1) return String(values[0]);
  return values.map((v) => String(v).replace(/[\\|]/g, (c) => `\\${c}`)).join('|');
}
