/**
 * Watermark with bounded out-of-orderness, kept per log partition.
 *
 * watermark = (max event time seen in the partition) - maxOutOfOrderness. An event is too late
 * when its event time is more than `allowedLateness` behind the watermark of its own partition
 * at the moment it is read. Judging per partition, not per consumer, makes the verdict a function
 * of the log alone: a replay, a restart or a rebalanced consumer group classifies exactly the same
 * events as late. Lateness is judged per event, not per window (Flink judges per window), so an
 * event is either in all of its windows or in the late output, and reconciliation is exact.
 */
export interface LatenessPolicy {
  readonly maxOutOfOrdernessMs: number;
  readonly allowedLatenessMs: number;
}

/** No event has been seen yet. */
export const NO_WATERMARK = Number.NEGATIVE_INFINITY;

export class Watermark {
  #maxEventTime: number;
  readonly policy: LatenessPolicy;

  constructor(policy: LatenessPolicy, maxEventTime: number = NO_WATERMARK) {
    this.policy = policy;
    this.#maxEventTime = maxEventTime;
  }

  get maxEventTime(): number {
    return this.#maxEventTime;
  }

  /** The watermark: no earlier event is expected any more (but may still be accepted as late). */
  get current(): number {
    return this.#maxEventTime - this.policy.maxOutOfOrdernessMs;
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

  observe(eventTime: number): void {
    if (eventTime > this.#maxEventTime) this.#maxEventTime = eventTime;
  }
}
