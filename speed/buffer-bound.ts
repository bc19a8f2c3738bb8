import { LkError } from '../shared/errors.ts';

/** The stream job's flow control as it stands: for metrics (`lk_speed_paused`, ...) and tests. */
export interface FlowState {
  /** Records processed and not yet visible in the view store: uncommitted, or in a write queued or in flight. */
  readonly bufferedRecords: number;
  /** The most records buffered at any time since the job started. */
  readonly peakBufferedRecords: number;
  /** The configured bound (`maxBufferedRecords`). */
  readonly maxBufferedRecords: number;
  /** Whether consumption waits now for a write to free room. */
  readonly paused: boolean;
  /** How many times consumption paused. */
  readonly pauses: number;
  /** Time spent paused, in total. */
  readonly pausedMs: number;
}

/** The default bound: two commits' worth of the default `maxUncommittedRecords`, so one write overlaps processing. */
export const DEFAULT_MAX_BUFFERED_RECORDS = 100_000;

/**
 * The stream job's memory bound, as accounting: records are added when processed and released
 * when the write holding them is stored. Before a batch is processed the job asks `fits`; while
 * it does not, consumption waits (`pause`/`resume`) for writes to finish, so the consumer stops
 * fetching (onBatch does not return) and the backlog stays in the log, where it shows as lag:
 * Kafka Streams pausing a partition past `buffered.records.per.partition`, Flink granting no credit.
 */
export class BufferBound {
  readonly #max: number;
  readonly #now: () => number;
  #buffered = 0;
  #peak = 0;
  #depth = 0;
  #pauses = 0;
  #pausedMs = 0;
  #pausedSince = 0;

  constructor(maxBufferedRecords: number, now: () => number = () => performance.now()) {
    if (!Number.isSafeInteger(maxBufferedRecords) || maxBufferedRecords < 1) {
      throw new LkError(`maxBufferedRecords=${maxBufferedRecords} must be a whole number >= 1 (records processed but not yet visible; default ${DEFAULT_MAX_BUFFERED_RECORDS})`);
    }
    this.#max = maxBufferedRecords;
    this.#now = now;
  }

  /** Whether `records` more can be processed without passing the bound (an empty buffer takes any batch, so a job never stalls). */
  fits(records: number): boolean {
    return this.#buffered === 0 || this.#buffered + records <= this.#max;
  }

  /** Counts processed records. */
  add(records: number): void {
    this.#buffered += records;
    if (this.#buffered > this.#peak) this.#peak = this.#buffered;
  }

  /** Releases records whose write was stored. */
  release(records: number): void {
    this.#buffered = Math.max(0, this.#buffered - records);
  }

  /** Consumption starts waiting (nested waits count as one pause). */
  pause(): void {
    if (this.#depth++ === 0) {
      this.#pauses++;
      this.#pausedSince = this.#now();
    }
  }

  /** The wait `pause` began ended. */
  resume(): void {
    if (this.#depth === 0) return;
    if (--this.#depth === 0) this.#pausedMs += this.#now() - this.#pausedSince;
  }

  /** The accounting now. */
  state(): FlowState {
    const pausedNow = this.#depth > 0;
    return {
      bufferedRecords: this.#buffered,
      peakBufferedRecords: this.#peak,
      maxBufferedRecords: this.#max,
      paused: pausedNow,
      pauses: this.#pauses,
      pausedMs: this.#pausedMs + (pausedNow ? this.#now() - this.#pausedSince : 0),
    };
  }
}
