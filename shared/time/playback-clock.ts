import { validateRecord, type ValidationLimits } from '../model/validation.ts';

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
  readonly #limits: ValidationLimits | undefined;
  readonly #maxJumpMs: number;

  constructor(limits?: ValidationLimits, maxJumpMs = DEFAULT_MAX_CLOCK_JUMP_MS) {
    this.#limits = limits;
    this.#maxJumpMs = maxJumpMs;
  }

  /** The append time of the next line, moving the clock; undefined until a line had a valid event time. */
  next(line: string): number | undefined {
    // The far-future rule is against the append time, which is what is being decided: no limit here.
    const v = validateRecord(line, Number.MAX_SAFE_INTEGER, this.#limits);
    if (v.ok) {
      const t = v.event.event_time;
      if (this.#now === undefined || (t > this.#now && t - this.#now <= this.#maxJumpMs)) this.#now = t;
    }
    return this.#now;
  }
}
