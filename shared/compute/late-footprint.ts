import type { Event } from '../model/event.ts';
import { forEachWindowStart } from '../time/fixed-window.ts';
import type { Window } from '../time/window.ts';
import type { CompiledView, Pipeline } from './pipeline.ts';

/** A too-late event as the late topic holds it: the event, where it sat in the events topic, and the bound it missed. */
export interface TooLateRecord {
  readonly event: Event;
  /** Its partition and offset in the events topic (null when the record lacks the source headers). */
  readonly sourcePartition: number | null;
  readonly sourceOffset: number | null;
  /** Its partition's lateness bound when it was read (watermark minus allowed lateness); null without the header. */
  readonly lateBefore: number | null;
}

/**
 * Whether an event at time `t` of `key` would change window `w` of `view` had it been counted: a
 * fixed window when it contains the time, a session window when the time lies within a gap of
 * it (it would have extended the session, or merged it with another). The one rule of a late
 * event's footprint (LateFootprint, and the window explanation).
 */
export function touchesWindow(view: CompiledView, e: Event, key: string, w: Window): boolean {
  if (!view.accepts(e) || view.keyOf(e) !== key) return false;
  const t = view.timeOf(e);
  const spec = view.def.window;
  if (spec.kind === 'session') return withinSessionReach(t, w, spec.gapMs);
  let hit = false;
  forEachWindowStart(spec, t, (start) => {
    if (start === w.start) hit = true;
  });
  return hit;
}

function withinSessionReach(t: number, w: Window, gapMs: number): boolean {
  return t >= w.start - gapMs && t < w.end;
}

/**
 * The windows too-late events would have changed had they been on time (touchesWindow): what the
 * stream (speed, Kappa) is allowed to lack against the batch layer and the truth, which count
 * them. Indexed, for asking about every window of a comparison.
 */
export class LateFootprint {
  readonly #fixed = new Set<string>();
  readonly #sessionTimes = new Map<string, number[]>();
  readonly #pipeline: Pipeline;

  constructor(pipeline: Pipeline, lateEvents: Iterable<Event>) {
    this.#pipeline = pipeline;
    for (const e of lateEvents) {
      for (const v of pipeline.views) {
        if (!v.accepts(e)) continue;
        const key = v.keyOf(e);
        const w = v.def.window;
        if (w.kind === 'session') {
          const id = `${v.name}\u0000${key}`;
          let times = this.#sessionTimes.get(id);
          if (!times) this.#sessionTimes.set(id, (times = []));
          times.push(v.timeOf(e));
        } else forEachWindowStart(w, v.timeOf(e), (start) => this.#fixed.add(`${v.name}\u0000${key}\u0000${start}`));
      }
    }
  }

  /** Whether a too-late event falls in (or, for sessions, within a gap of) this window of this key. */
  touches(view: string, key: string, w: Window): boolean {
    const spec = this.#pipeline.view(view).def.window;
    if (spec.kind !== 'session') return this.#fixed.has(`${view}\u0000${key}\u0000${w.start}`);
    const times = this.#sessionTimes.get(`${view}\u0000${key}`);
    return times !== undefined && times.some((t) => withinSessionReach(t, w, spec.gapMs));
  }
}
