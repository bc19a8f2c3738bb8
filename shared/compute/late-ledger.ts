import type { CompiledView, Pipeline } from './pipeline.ts';
import { bucketOf } from '../time/bucket.ts';
import { forEachWindowStart } from '../time/fixed-window.ts';
import { sessionWindowOf } from '../time/session-window.ts';
import type { FixedWindowSpec, SessionSpec } from '../time/window.ts';
import { NO_APPEND_TIME, Watermark, type LatenessPolicy } from '../time/watermark.ts';

/** Where a valid event ended up. Every distinct valid event is in exactly one state. */
export type LedgerState = 'onTime' | 'lateWithin' | 'tooLate' | 'absorbed';

/** Counts per state. */
export interface LedgerCounts {
  /** At or after its partition's watermark when read. */
  onTime: number;
  /** Behind the watermark but within the allowed lateness: the stream updated its windows. */
  lateWithin: number;
  /** Behind the allowed lateness (side output) and in no batch run after it arrived. */
  tooLate: number;
  /** Too late for the stream, then counted by a batch run that recomputed its hour after it arrived. */
  absorbed: number;
}

/** A batch run as the ledger needs it: when it ran (simulated clock) and which buckets it computed. */
export interface LedgerBatchRun {
  readonly runId: string;
  readonly at: number;
  readonly buckets: readonly number[];
}

/**
 * One window of a view in the ledger: the states of the events the view counts in it. A fixed
 * (tumbling or sliding) window is summed over the view's keys (every key shares its bounds); a
 * session belongs to one key, so it carries the key.
 */
export interface LedgerWindow extends LedgerCounts {
  readonly start: number;
  readonly end: number;
  readonly key?: string;
}

/** The ledger: totals, per view and window, per batch bucket (hour, a rollup), and the too-late events each batch run absorbed. */
export interface LateLedger {
  readonly totals: LedgerCounts;
  /**
   * Per view, its windows in start order (sessions by start, then key). An event is in every
   * window of every view that counts it (its filter), so a sliding window's events are also in
   * its neighbours': per view, a window's counts add up to the events in it, not to the totals.
   */
  readonly byWindow: Readonly<Record<string, readonly LedgerWindow[]>>;
  /** Per batch bucket (hour): each event once, by its bucket. */
  readonly byBucket: ReadonlyArray<{ readonly bucket: number } & LedgerCounts>;
  /** Run id → too-late events it absorbed (its first run covering their hour after they arrived). */
  readonly absorbedByRun: Readonly<Record<string, number>>;
  /** Distinct valid events (the sum of the states). */
  readonly events: number;
}

const emptyCounts = (): LedgerCounts => ({ onTime: 0, lateWithin: 0, tooLate: 0, absorbed: 0 });

/** A session view's event, kept until finish: its session is known only once every event is in. */
interface SessionEvent {
  readonly key: string;
  readonly time: number;
  state: LedgerState;
}

/** Where one event is counted, so that absorbing it later moves it in every place. */
interface Placement {
  readonly counts: LedgerCounts[];
  readonly sessions: SessionEvent[];
}

/**
 * Builds the late-event ledger from the log: per partition in offset order, each record is
 * validated, deduplicated by the schema's id (first copy by log order, as the truth does) and judged
 * against its partition's watermark by the shared Watermark, in the order the stream's
 * PartitionProcessor judges (dedup, lateness, then every valid record moves the watermark), so the
 * too-late count must equal the stream's and the late topic's. Then each too-late event is
 * absorbed by the first batch run at or after its append time that computed its bucket.
 */
export class LateLedgerBuilder {
  readonly #pipeline: Pipeline;
  readonly #policy: LatenessPolicy;
  readonly #bucketMs: number;
  readonly #watermarks = new Map<number, Watermark>();
  readonly #seen = new Set<string>();
  readonly #byBucket = new Map<number, LedgerCounts>();
  /** Fixed-window views: window start → counts (over keys). */
  readonly #fixed = new Map<CompiledView, Map<number, LedgerCounts>>();
  /** Session views: their events, grouped into sessions at finish. */
  readonly #sessions = new Map<CompiledView, SessionEvent[]>();
  /** Too-late events: bucket, append time and where they are counted. */
  readonly #late: Array<{ bucket: number; appendedAt: number; placement: Placement }> = [];

  /** Judges by the pipeline's validator, lateness policy and bucket size. */
  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
    this.#policy = pipeline.config.lateness;
    this.#bucketMs = pipeline.config.bucketMs;
    for (const v of pipeline.views) {
      if (v.def.window.kind === 'session') this.#sessions.set(v, []);
      else this.#fixed.set(v, new Map());
    }
  }

  /** One record of `partition`, in offset order. */
  observe(partition: number, record: { readonly value: string; readonly timestamp: number }): void {
    const p = this.#pipeline;
    const v = p.validator.validateRecord(record.value, record.timestamp);
    if (!v.ok) return;
    let wm = this.#watermarks.get(partition);
    if (!wm) this.#watermarks.set(partition, (wm = new Watermark(this.#policy)));
    const e = v.event;
    const id = p.idOf(e);
    const time = p.timeOf(e);
    if (!this.#seen.has(id)) {
      this.#seen.add(id);
      const bucket = bucketOf(time, this.#bucketMs);
      let c = this.#byBucket.get(bucket);
      if (!c) this.#byBucket.set(bucket, (c = emptyCounts()));
      const state: LedgerState = wm.isTooLate(time) ? 'tooLate' : time < wm.current ? 'lateWithin' : 'onTime';
      const placement: Placement = { counts: [c], sessions: [] };
      for (const [view, windows] of this.#fixed) {
        if (!view.accepts(e)) continue;
        const spec = view.def.window as FixedWindowSpec;
        forEachWindowStart(spec, time, (start) => {
          let w = windows.get(start);
          if (!w) windows.set(start, (w = emptyCounts()));
          placement.counts.push(w);
        });
      }
      for (const [view, events] of this.#sessions) {
        if (!view.accepts(e)) continue;
        const s: SessionEvent = { key: view.keyOf(e), time, state };
        events.push(s);
        placement.sessions.push(s);
      }
      for (const counts of placement.counts) counts[state]++;
      if (state === 'tooLate') this.#late.push({ bucket, appendedAt: record.timestamp, placement });
    }
    wm.observe(time, record.timestamp ?? NO_APPEND_TIME);
  }

  /** The ledger, given the batch runs that happened (any order). */
  finish(runs: readonly LedgerBatchRun[]): LateLedger {
    const sorted = [...runs].sort((a, b) => a.at - b.at);
    const absorbedByRun: Record<string, number> = {};
    for (const l of this.#late) {
      const run = sorted.find((r) => r.at >= l.appendedAt && r.buckets.includes(l.bucket));
      if (!run) continue;
      for (const c of l.placement.counts) {
        c.tooLate--;
        c.absorbed++;
      }
      for (const s of l.placement.sessions) s.state = 'absorbed';
      absorbedByRun[run.runId] = (absorbedByRun[run.runId] ?? 0) + 1;
    }
    const totals = emptyCounts();
    const byBucket = [...this.#byBucket].sort((a, b) => a[0] - b[0]).map(([bucket, c]) => {
      totals.onTime += c.onTime;
      totals.lateWithin += c.lateWithin;
      totals.tooLate += c.tooLate;
      totals.absorbed += c.absorbed;
      return { bucket, ...c };
    });
    const byWindow: Record<string, LedgerWindow[]> = {};
    for (const [view, windows] of this.#fixed) {
      const spec = view.def.window as FixedWindowSpec;
      byWindow[view.name] = [...windows].sort((a, b) => a[0] - b[0]).map(([start, c]) => ({ start, end: start + spec.sizeMs, ...c }));
    }
    for (const [view, events] of this.#sessions) byWindow[view.name] = sessionsOf(view, events);
    return { totals, byWindow, byBucket, absorbedByRun, events: this.#seen.size };
  }
}

/** A session view's events grouped into its sessions (sessionWindowOf: windows of one key that overlap merge), with their states. */
function sessionsOf(view: CompiledView, events: readonly SessionEvent[]): LedgerWindow[] {
  const spec = view.def.window as SessionSpec;
  const byKey = new Map<string, SessionEvent[]>();
  for (const e of events) {
    let list = byKey.get(e.key);
    if (!list) byKey.set(e.key, (list = []));
    list.push(e);
  }
  const out: LedgerWindow[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.time - b.time);
    let open: { start: number; end: number; key: string } & LedgerCounts = { key, ...sessionWindowOf(spec, list[0].time), ...emptyCounts() };
    for (const e of list) {
      const w = sessionWindowOf(spec, e.time);
      if (w.start >= open.end) {
        out.push(open);
        open = { key, ...w, ...emptyCounts() };
      }
      open.end = Math.max(open.end, w.end);
      open[e.state]++;
    }
    out.push(open);
  }
  return out.sort((a, b) => a.start - b.start || (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0));
}
