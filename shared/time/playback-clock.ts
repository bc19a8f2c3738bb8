import type { Pipeline } from '../compute/pipeline.ts';

/** How far one event may move the playback clock at once; further is an outlier the clock ignores. */
export const DEFAULT_MAX_CLOCK_JUMP_MS = 86_400_000;

/**
 * The simulated append clock of a recording without append times (a JSON lines file played on a
 * timeline): the records play in file order and the clock is the latest event time so far, so a
 * record is appended when its event happened unless it comes later in the file than newer events
 * (out of order, or too late, as it would be in a live log). A record without a valid event time
 * is appended at the current clock; an event more than `maxJumpMs` ahead of the clock (a wrong
 * client clock, dated 2099) does not move it, or every event after it would be too late.
 */
export class PlaybackClock {
  #now: number | undefined;
  readonly #events: Pick<Pipeline, 'validator' | 'timeOf'>;
  readonly #maxJumpMs: number;

  /** `events`: the pipeline whose validator reads the lines and whose time field is the clock. */
  constructor(events: Pick<Pipeline, 'validator' | 'timeOf'>, maxJumpMs = DEFAULT_MAX_CLOCK_JUMP_MS) {
    this.#events = events;
    this.#maxJumpMs = maxJumpMs;
  }

  /** The append time of the next line, moving the clock; undefined until a line had a valid event time. */
  next(line: string): number | undefined {
    // The far-future rule is against the append time, which is what is being decided: no limit here.
    const v = this.#events.validator.validateRecord(line, Number.MAX_SAFE_INTEGER);
    if (v.ok) {
      const t = this.#events.timeOf(v.event);
      if (this.#now === undefined || (t > this.#now && t - this.#now <= this.#maxJumpMs)) this.#now = t;
    }
    return this.#now;
  }
}
