import type { Event } from '../model/event.ts';
import { forEachWindowStart } from '../time/fixed-window.ts';
import type { Window } from '../time/window.ts';
import type { Pipeline } from './pipeline.ts';

/**
 * The windows too-late events would have changed had they been on time: what the stream (speed,
 * Kappa) is allowed to lack against the batch layer and the truth, which count them. A fixed
 * window is touched when it contains the event's time; a session window when the event lies
 * within a gap of it (it would have extended the session, or merged it with another).
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
    return times !== undefined && times.some((t) => t >= w.start - spec.gapMs && t < w.end);
  }
}
