/**
 * Releases a stream of timestamped records at the pace of their timestamps: `due(now)` hands out
 * every record whose timestamp has come. A producer that falls behind gets the backlog at once on
 * its next call, so the achieved rate catches up with the schedule instead of drifting below it.
 */
export class PacedSource<T extends { readonly timestamp: number }> {
  readonly #source: Iterator<T, unknown>;
  #next: T | undefined;
  #done = false;
  #released = 0;

  constructor(source: Iterator<T, unknown>) {
    this.#source = source;
    this.#pull();
  }

  /** The records with timestamp <= now not handed out yet (at most `max`), in order. */
  due(now: number, max: number = Number.POSITIVE_INFINITY): T[] {
    const out: T[] = [];
    while (this.#next !== undefined && this.#next.timestamp <= now && out.length < max) {
      out.push(this.#next);
      this.#pull();
    }
    this.#released += out.length;
    return out;
  }

  /** Timestamp of the next record, or undefined when the source is exhausted. */
  get nextTimestamp(): number | undefined {
    return this.#next?.timestamp;
  }

  /** Whether every record was handed out. */
  get done(): boolean {
    return this.#done;
  }

  /** Records handed out so far. */
  get released(): number {
    return this.#released;
  }

  #pull(): void {
    const step = this.#source.next();
    if (step.done) {
      this.#next = undefined;
      this.#done = true;
    } else this.#next = step.value;
  }
}
