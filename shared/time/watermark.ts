/**
 * Watermark with bounded out-of-orderness, kept per log partition, that one outlier cannot drag
 * forward.
 *
 * The watermark trails the partition's *event-time progress* by maxOutOfOrderness, where the
 * progress is the max, over the valid records read so far, of
 * `min(event time, append time + maxAheadOfAppend)`. The append time is the record's log
 * timestamp: an event stamped further ahead of it than the tolerance (a wrong client clock, a
 * typo a day ahead) moves the watermark only to its append time + tolerance, so the events after
 * it are not made "too late" by it. The outlier itself is judged and counted as any other event.
 *
 * An event is too late when its event time is more than `allowedLateness` behind the watermark of
 * its own partition at the moment it is read. Both inputs are in the log (event time in the
 * value, append time in the record), so the verdict is a function of the log alone: a replay, a
 * restart or a rebalanced consumer group classifies exactly the same events as late, and the
 * archiver derives the same watermark from the same records. Lateness is judged per event, not
 * per window (Flink judges per window), so an event is either in all of its windows or in the
 * late output, and reconciliation is exact.
 */
export interface LatenessPolicy {
  readonly maxOutOfOrdernessMs: number;
  readonly allowedLatenessMs: number;
  /**
   * How far an event time may be ahead of its record's append time and still move the watermark
   * to it (producer clocks run a little ahead of the log's). Keep it small against
   * maxOutOfOrderness + allowedLateness: after an outlier, an event is too late once it is more
   * than (maxOutOfOrderness + allowedLateness - this) behind its own append time.
   */
  readonly maxAheadOfAppendMs: number;
  /**
   * A partition whose latest valid record was appended more than this before the newest one of any
   * partition is idle: it stops holding back the combined watermark (combined-watermark.ts), as
   * Flink's `withIdleness`. Absent: no partition is ever idle.
   */
  readonly idleTimeoutMs?: number;
}

/** No event has been seen yet. */
export const NO_WATERMARK = Number.NEGATIVE_INFINITY;

/** An event not read from the log (tests, benchmarks): nothing caps how far it moves the watermark. */
export const NO_APPEND_TIME = Number.POSITIVE_INFINITY;

export class Watermark {
  #maxEventTime: number;
  #progress: number;
  #lastAppendTime: number;
  readonly policy: LatenessPolicy;

  /**
   * `progress` defaults to `maxEventTime`: the rule before the append-time cap, which is what a
   * checkpoint without a stored progress was written under.
   */
  constructor(policy: LatenessPolicy, maxEventTime: number = NO_WATERMARK, progress: number = maxEventTime, lastAppendTime: number = NO_WATERMARK) {
    this.policy = policy;
    this.#maxEventTime = maxEventTime;
    this.#progress = progress;
    this.#lastAppendTime = lastAppendTime;
  }

  /** The latest append time of a valid record read from the log (NO_WATERMARK before one, or when unknown): how recently the partition was alive. */
  get lastAppendTime(): number {
    return this.#lastAppendTime;
  }

  /** The latest event time seen (outliers included): for reporting, not for lateness. */
  get maxEventTime(): number {
    return this.#maxEventTime;
  }

  /** The event-time progress the watermark trails: max over records of min(event time, append time + maxAheadOfAppend). */
  get progress(): number {
    return this.#progress;
  }

  /** The watermark: no earlier event is expected any more (but may still be accepted as late). */
  get current(): number {
    return this.#progress - this.policy.maxOutOfOrdernessMs;
  }

  /** Events before this are too late. Equal is still accepted. */
  get lateBefore(): number {
    return this.current - this.policy.allowedLatenessMs;
  }

  isTooLate(eventTime: number): boolean {
    return eventTime < this.lateBefore;
  }

  /** A window (or session) ending at or before this can receive no more events: its result is final. */
  isFinal(windowEnd: number): boolean {
    return windowEnd <= this.lateBefore;
  }

  /**
   * Takes one valid record into account: its event time, capped at its append time +
   * maxAheadOfAppend, moves the progress; the watermark never moves back.
   */
  observe(eventTime: number, appendTime: number): void {
    if (eventTime > this.#maxEventTime) this.#maxEventTime = eventTime;
    const capped = Math.min(eventTime, appendTime + this.policy.maxAheadOfAppendMs);
    if (capped > this.#progress) this.#progress = capped;
    if (Number.isFinite(appendTime) && appendTime > this.#lastAppendTime) this.#lastAppendTime = appendTime;
  }
}
