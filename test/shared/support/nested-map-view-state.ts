import { type EcommerceEvent as Event } from '../../../examples/ecommerce/pipeline.ts';
import { newestWindowOf, slideOf, windowsPerTime } from '../../../shared/time/fixed-window.ts';
import { isBucketOpen } from '../../../shared/time/bucket.ts';
import { sessionWindowOf } from '../../../shared/time/session-window.ts';
import { reachOf, type SessionSpec } from '../../../shared/time/window.ts';
import type { Pane, PaneId } from '../../../shared/compute/pane.ts';
import type { CompiledView } from '../../../shared/compute/pipeline.ts';

/** A pane held in memory, with its change tracking (a flag and a list: cheaper per event than a Set). */
interface OpenPane extends Pane {
  /** Changed since the last drain (and listed in #dirty). */
  dirty: boolean;
  /** Merged into another session: no longer stored. */
  retired: boolean;
}

function openPane(view: string, key: string, start: number, end: number, bucket: number, acc: number[]): OpenPane {
  return { view, key, start, end, bucket, acc, dirty: false, retired: false };
}

/**
 * The reference ViewState tests compare the real one against: the previous implementation (commit
 * 4bf36ac), panes as objects in nested Maps (bucket -> key -> window number -> pane for fixed
 * windows, bucket -> key -> sorted session list for sessions). Slower, but each step is plain.
 */
export class NestedMapViewState {
  readonly view: CompiledView;
  /** bucket -> key -> window number (start / slide) -> pane (fixed windows). */
  readonly #fixed = new Map<number, Map<string, Map<number, OpenPane>>>();
  /** bucket -> key -> sessions sorted by start (session windows). */
  readonly #sessions = new Map<number, Map<string, OpenPane[]>>();
  /** The bucket last added to and its map in #fixed or #sessions (NaN: none). */
  #lastBucket = Number.NaN;
  #lastByKey: Map<string, Map<number, OpenPane>> | Map<string, OpenPane[]> | undefined;
  /** The slide of a fixed window (window number = start / slide) and how many windows hold each time; 0 for sessions. */
  readonly #slide: number;
  readonly #windowsPerTime: number;
  #dirty: OpenPane[] = [];
  /** Ids of panes merged away since the last drain (never the id of a live pane, see #retire). */
  #deleted: PaneId[] = [];
  /** How far past its bucket's end a pane of this view can reach (window size or session gap). */
  readonly #reach: number;

  constructor(view: CompiledView) {
    this.view = view;
    this.#reach = reachOf(view.def.window);
    const w = view.def.window;
    this.#slide = w.kind === 'session' ? 0 : slideOf(w);
    this.#windowsPerTime = w.kind === 'session' ? 0 : windowsPerTime(w);
  }

  /** The map of `bucket` in `m`, created when missing; remembered for the next event. */
  #bucketMap<V>(m: Map<number, Map<string, V>>, bucket: number): Map<string, V> {
    if (bucket === this.#lastBucket) return this.#lastByKey as Map<string, V>;
    let byKey = m.get(bucket);
    if (!byKey) m.set(bucket, (byKey = new Map()));
    this.#lastBucket = bucket;
    this.#lastByKey = byKey as Map<string, Map<number, OpenPane>> | Map<string, OpenPane[]>;
    return byKey;
  }

  /** Folds one accepted event, whose bucket is given, into its windows. */
  add(e: Event, bucket: number): void {
    const key = this.view.keyOf(e);
    const w = this.view.def.window;
    if (w.kind === 'session') {
      this.#addSession(e, key, bucket, w);
      return;
    }
    const byKey = this.#bucketMap(this.#fixed, bucket);
    let byNumber = byKey.get(key);
    if (!byNumber) byKey.set(key, (byNumber = new Map()));
    const agg = this.view.aggregate;
    const slide = this.#slide;
    const newest = newestWindowOf(w, e.event_time);
    for (let n = newest; n > newest - this.#windowsPerTime; n--) {
      let pane = byNumber.get(n);
      if (!pane) {
        const start = n * slide;
        pane = openPane(this.view.name, key, start, start + this.#reach, bucket, agg.empty());
        byNumber.set(n, pane);
      }
      agg.add(pane.acc, e);
      this.#touch(pane);
    }
  }

  #touch(p: OpenPane): void {
    if (p.dirty) return;
    p.dirty = true;
    this.#dirty.push(p);
  }

  #addSession(e: Event, key: string, bucket: number, spec: SessionSpec): void {
    const byKey = this.#bucketMap(this.#sessions, bucket);
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    const w = sessionWindowOf(spec, e.event_time);
    const agg = this.view.aggregate;
    // Sessions of a key never overlap each other, so the ones a new window touches are contiguous.
    let first = list.length;
    let last = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i];
      if (s.end <= w.start) break;
      if (s.start < w.end) {
        first = i;
        if (last < 0) last = i;
      } else if (last >= 0) break;
    }
    if (last < 0) {
      const pane = openPane(this.view.name, key, w.start, w.end, bucket, agg.empty());
      agg.add(pane.acc, e);
      let at = list.length;
      while (at > 0 && list[at - 1].start > pane.start) at--;
      list.splice(at, 0, pane);
      this.#touch(pane);
      return;
    }
    const target = list[first];
    // Common case: the event falls inside or extends one session without moving its start; update in place.
    if (first === last && w.start >= target.start) {
      if (w.end > target.end) target.end = w.end;
      agg.add(target.acc, e);
      this.#touch(target);
      return;
    }
    const merged = openPane(this.view.name, key, Math.min(target.start, w.start), Math.max(list[last].end, w.end), bucket, target.acc.slice());
    for (let i = first + 1; i <= last; i++) agg.mergeInto(merged.acc, list[i].acc);
    agg.add(merged.acc, e);
    for (let i = first; i <= last; i++) this.#retire(list[i], merged);
    list.splice(first, last - first + 1, merged);
    this.#touch(merged);
  }

  /**
   * Marks a session merged into `into`. Its id is deleted from the store unless `into` has the same
   * id (same start: its upsert replaces the row). No later pane can take a deleted id before the
   * drain: a session starting at the same time would contain an event that `into` already covers.
   */
  #retire(p: OpenPane, into: OpenPane): void {
    p.retired = true;
    if (p.start !== into.start) this.#deleted.push({ view: p.view, key: p.key, start: p.start, bucket: p.bucket });
  }

  /** Puts back panes restored from a checkpoint. */
  restore(stored: Pane): void {
    const p = openPane(stored.view, stored.key, stored.start, stored.end, stored.bucket, stored.acc.slice());
    if (this.view.def.window.kind === 'session') {
      let byKey = this.#sessions.get(p.bucket);
      if (!byKey) this.#sessions.set(p.bucket, (byKey = new Map()));
      const list = byKey.get(p.key) ?? [];
      list.push(p);
      list.sort((a, b) => a.start - b.start);
      byKey.set(p.key, list);
    } else {
      let byKey = this.#fixed.get(p.bucket);
      if (!byKey) this.#fixed.set(p.bucket, (byKey = new Map()));
      let byStart = byKey.get(p.key);
      if (!byStart) byKey.set(p.key, (byStart = new Map()));
      byStart.set(p.start / this.#slide, p);
    }
  }

  /**
   * The panes changed since the last drain (copies, safe to hand to I/O) and the ids of panes
   * merged away, appended to `out` (a flush collects all views into one list).
   */
  drain(out: { upserts: Pane[]; deletes: PaneId[] } = { upserts: [], deletes: [] }): { upserts: Pane[]; deletes: PaneId[] } {
    const { upserts, deletes } = out;
    for (const p of this.#dirty) {
      p.dirty = false;
      if (p.retired) continue;
      upserts.push({ view: p.view, key: p.key, start: p.start, end: p.end, bucket: p.bucket, acc: p.acc.slice() });
    }
    for (const d of this.#deleted) deletes.push(d);
    this.#dirty = [];
    this.#deleted = [];
    return out;
  }

  /** Drops buckets none of whose panes can change any more (already stored when drained). */
  evict(lateBefore: number, bucketMs: number): void {
    for (const m of [this.#fixed, this.#sessions] as Map<number, unknown>[]) {
      for (const bucket of m.keys()) if (!isBucketOpen(bucket, bucketMs, this.#reach, lateBefore)) m.delete(bucket);
    }
    // The remembered map may be one just dropped.
    this.#lastBucket = Number.NaN;
    this.#lastByKey = undefined;
  }

  /** Number of open panes (for metrics). */
  get openPanes(): number {
    let n = 0;
    for (const byKey of this.#fixed.values()) for (const s of byKey.values()) n += s.size;
    for (const byKey of this.#sessions.values()) for (const l of byKey.values()) n += l.length;
    return n;
  }
}
