import type { Event } from '../model/event.ts';
import { newestWindowOf, slideOf, windowsPerTime } from '../time/fixed-window.ts';
import { isBucketOpen } from '../time/bucket.ts';
import { sessionWindowOf } from '../time/session-window.ts';
import { reachOf, type FixedWindowSpec, type SessionSpec, type WindowSpec } from '../time/window.ts';
import type { Aggregate } from './aggregate.ts';
import type { Pane, PaneId } from './pane.ts';
import { OpenPanes } from './open-panes.ts';
import type { CompiledView } from './pipeline.ts';

/**
 * The open panes of one view for one log partition, with what changed since the last drain.
 *
 * This is the per-event hot path. Panes live in a OpenPanes (flat typed arrays, a chain of panes
 * per key, newest first, keys as dense ids), so an event costs one Map probe for its key's id and
 * a walk from the head of that key's chain, which in-order events end at the head or next to it.
 * A late event walks past its key's newer panes: for fixed windows at most (lateness + size) /
 * slide per open bucket (the nested Maps before were O(1) here, but lateness bounds the walk); for
 * sessions the same walk as the sorted session list before.
 */
export class ViewState {
  readonly view: CompiledView;
  readonly #panes: OpenPanes;
  readonly #agg: Aggregate;
  readonly #window: WindowSpec;
  /** The slide of a fixed window and how many windows hold each time; 0 for sessions. */
  readonly #slide: number;
  readonly #windowsPerTime: number;
  /** Ids of panes merged away since the last drain (never the id of a live pane, see #retire). */
  #deleted: PaneId[] = [];
  /** How far past its bucket's end a pane of this view can reach (window size or session gap). */
  readonly #reach: number;

  constructor(view: CompiledView) {
    this.view = view;
    this.#agg = view.aggregate;
    this.#panes = new OpenPanes(view.aggregate.empty(), view.aggregate);
    const w = view.def.window;
    this.#window = w;
    this.#reach = reachOf(w);
    this.#slide = w.kind === 'session' ? 0 : slideOf(w);
    this.#windowsPerTime = w.kind === 'session' ? 0 : windowsPerTime(w);
  }

  /** Folds one accepted event, whose bucket (and event time, when the caller has it) is given, into its windows. */
  add(e: Event, bucket: number, time: number = this.view.timeOf(e)): void {
    const key = this.#panes.keyId(this.view.keyOf(e));
    const w = this.#window;
    if (w.kind === 'session') this.#addSession(e, key, bucket, w, time);
    else this.#addFixed(e, key, bucket, w, time);
  }

  #addFixed(e: Event, key: number, bucket: number, w: FixedWindowSpec, time: number): void {
    const t = this.#panes;
    const slide = this.#slide;
    const newest = newestWindowOf(w, time);
    let prev = -1;
    let s = t.head(key);
    for (let n = newest; n > newest - this.#windowsPerTime; n--) {
      const start = n * slide;
      while (s >= 0 && t.sortsBefore(s, bucket, start)) {
        prev = s;
        s = t.next(s);
      }
      if (s < 0 || t.startOf(s) !== start || t.bucketOf(s) !== bucket) s = t.open(key, prev, start, start + this.#reach, bucket);
      this.#agg.addAt(t.accs, t.accAt(s), e, t.statesOf(s));
      t.touch(s);
      prev = s;
      s = t.next(s);
    }
  }

  #addSession(e: Event, key: number, bucket: number, spec: SessionSpec, time: number): void {
    const t = this.#panes;
    const w = sessionWindowOf(spec, time);
    // The key's sessions of this bucket follow its sessions of newer buckets, latest start first.
    // Sessions of a key never overlap each other, so the ones a new window touches are contiguous.
    let before = -1;
    let s = t.head(key);
    while (s >= 0 && t.bucketOf(s) > bucket) {
      before = s;
      s = t.next(s);
    }
    let latest = -1;
    let earliest = -1;
    for (; s >= 0 && t.bucketOf(s) === bucket; s = t.next(s)) {
      if (t.endOf(s) <= w.start) break;
      if (t.startOf(s) < w.end) {
        if (latest < 0) latest = s;
        earliest = s;
      } else before = s;
    }
    if (latest < 0) {
      const pane = t.open(key, before, w.start, w.end, bucket);
      this.#agg.addAt(t.accs, t.accAt(pane), e, t.statesOf(pane));
      t.touch(pane);
      return;
    }
    // Common case: the event falls inside or extends one session without moving its start; update in place.
    if (latest === earliest && w.start >= t.startOf(latest)) {
      if (w.end > t.endOf(latest)) t.setEnd(latest, w.end);
      this.#agg.addAt(t.accs, t.accAt(latest), e, t.statesOf(latest));
      t.touch(latest);
      return;
    }
    this.#merge(e, key, bucket, w.start, w.end, before, latest, earliest);
  }

  /**
   * Replaces the sessions `latest` .. `earliest` (a run of the key's chain after `before`) that the
   * event's window [wStart, wEnd) overlaps with one merged session holding them and the event.
   * (The window comes as two numbers: passing the object out of the inlined hot path would make
   * V8 allocate it for every event.)
   */
  #merge(e: Event, key: number, bucket: number, wStart: number, wEnd: number, before: number, latest: number, earliest: number): void {
    const t = this.#panes;
    const run: number[] = [];
    for (let s = latest; ; s = t.next(s)) {
      run.unshift(s);
      if (s === earliest) break;
    }
    // `run` is by start ascending, as the sessions were listed before the table: same merge order, same deletes.
    const acc = t.accOf(run[0]);
    for (let i = 1; i < run.length; i++) this.#agg.mergeInto(acc, t.accOf(run[i]));
    // The run's object states move to the merged session (the run is retired, never reported again).
    const states = t.statesOf(run[0]);
    if (states) for (let i = 1; i < run.length; i++) this.#agg.mergeStatesInto(states, t.statesOf(run[i])!);
    const merged = t.open(key, before, Math.min(t.startOf(run[0]), wStart), Math.max(t.endOf(latest), wEnd), bucket);
    t.setAcc(merged, acc);
    t.setStates(merged, states);
    this.#agg.addAt(t.accs, t.accAt(merged), e, t.statesOf(merged));
    for (const p of run) this.#retire(p, merged, key, bucket);
    t.touch(merged);
  }

  /**
   * Marks a session merged into `into` (it follows `into` in the chain). Its id is deleted from the
   * store unless `into` has the same id (same start: its upsert replaces the row). No later pane
   * can take a deleted id before the drain: a session starting at the same time would contain an
   * event that `into` already covers.
   */
  #retire(p: number, into: number, key: number, bucket: number): void {
    const t = this.#panes;
    let after = into;
    while (t.next(after) !== p) after = t.next(after);
    const start = t.startOf(p);
    if (start !== t.startOf(into)) this.#deleted.push({ view: this.view.name, key: t.keyOf(p), start, bucket });
    // Same id: `into` replaces the stored row, so the store must update it, not insert it.
    else if (t.isStored(p)) t.markStored(into);
    t.retire(key, after, p);
  }

  /** Puts back panes restored from a checkpoint. */
  restore(stored: Pane): void {
    const t = this.#panes;
    const key = t.keyId(stored.key);
    let prev = -1;
    let s = t.head(key);
    while (s >= 0 && t.sortsBefore(s, stored.bucket, stored.start)) {
      prev = s;
      s = t.next(s);
    }
    // The same id twice: the later one replaces the first, as a store would.
    if (s < 0 || t.startOf(s) !== stored.start || t.bucketOf(s) !== stored.bucket) s = t.open(key, prev, stored.start, stored.end, stored.bucket);
    t.setEnd(s, stored.end);
    t.setAcc(s, stored.acc);
    t.setStoredStates(s, stored.states);
    t.markStored(s);
  }

  /**
   * The panes changed since the last drain (copies, safe to hand to I/O) and the ids of panes
   * merged away, appended to `out` (a flush collects all views into one list). With
   * `out.inserts`, panes the store has no row for yet (never drained, not restored) go there.
   */
  drain<T extends { upserts: Pane[]; deletes: PaneId[]; inserts?: Pane[] }>(out: T = { upserts: [], deletes: [] } as unknown as T): T {
    this.#panes.drain(this.view.name, out.upserts, out.inserts);
    for (const d of this.#deleted) out.deletes.push(d);
    this.#deleted = [];
    return out;
  }

  /**
   * Drops buckets none of whose panes can change any more: already stored when drained, or, with
   * `closed` given, appended to it as copies (their final values, for a view emitting on close).
   */
  evict(lateBefore: number, bucketMs: number, closed?: Pane[]): void {
    this.#panes.dropBuckets((bucket) => !isBucketOpen(bucket, bucketMs, this.#reach, lateBefore), closed && { view: this.view.name, out: closed });
  }

  /** Forgets the changes and merged-away ids since the last drain without reporting them (emitting on window close). */
  discardChanges(): void {
    this.#panes.discardChanges();
    this.#deleted = [];
  }

  /** Appends copies of every open pane to `out`. */
  copyOpen(out: Pane[]): void {
    const t = this.#panes;
    t.forEach((_, slot) => out.push(t.paneAt(this.view.name, slot)));
  }

  /** Number of open panes (for metrics). */
  get openPanes(): number {
    return this.#panes.size;
  }
}
