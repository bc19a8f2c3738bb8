import type { Pipeline } from './pipeline.ts';
import { bucketOf } from '../time/bucket.ts';
import { NO_APPEND_TIME, Watermark, type LatenessPolicy } from '../time/watermark.ts';

/** Where a valid event ended up. Every distinct valid event is in exactly one state. */
export type LedgerState = 'onTime' | 'lateWithin' | 'tooLate' | 'absorbed';

/** Counts per state. */
export interface LedgerCounts {
  /** At or after its partition's watermark when read. */
  onTime: number;
  /** Behind the watermark but within the allowed lateness: the stream updated its windows. */
  lateWithin: number;
  /** Behind the allowed lateness (side output) and in no batch run after it arrived. */
  tooLate: number;
  /** Too late for the stream, then counted by a batch run that recomputed its hour after it arrived. */
  absorbed: number;
}

/** A batch run as the ledger needs it: when it ran (simulated clock) and which buckets it computed. */
export interface LedgerBatchRun {
  readonly runId: string;
  readonly at: number;
  readonly buckets: readonly number[];
}

/** The ledger: totals, per batch bucket (hour), and the too-late events each batch run absorbed. */
export interface LateLedger {
  readonly totals: LedgerCounts;
  readonly byBucket: ReadonlyArray<{ readonly bucket: number } & LedgerCounts>;
  /** Run id → too-late events it absorbed (its first run covering their hour after they arrived). */
  readonly absorbedByRun: Readonly<Record<string, number>>;
  /** Distinct valid events (the sum of the states). */
  readonly events: number;
}

const emptyCounts = (): LedgerCounts => ({ onTime: 0, lateWithin: 0, tooLate: 0, absorbed: 0 });

/**
 * Builds the late-event ledger from the log: per partition in offset order, each record is
 * validated, deduplicated by the schema's id (first copy by log order, as the truth does) and judged
 * against its partition's watermark by the shared Watermark, in the order the stream's
 * PartitionProcessor judges (dedup, lateness, then every valid record moves the watermark), so the
 * too-late count must equal the stream's and the late topic's. Then each too-late event is
 * absorbed by the first batch run at or after its append time that computed its bucket.
 */
export class LateLedgerBuilder {
  readonly #pipeline: Pipeline;
  readonly #policy: LatenessPolicy;
  readonly #bucketMs: number;
  readonly #watermarks = new Map<number, Watermark>();
  readonly #seen = new Set<string>();
  readonly #byBucket = new Map<number, LedgerCounts>();
  /** Too-late events: bucket and append time. */
  readonly #late: Array<{ bucket: number; appendedAt: number }> = [];

  /** Judges by the pipeline's validator, lateness policy and bucket size. */
  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
    this.#policy = pipeline.config.lateness;
    this.#bucketMs = pipeline.config.bucketMs;
  }

  /** One record of `partition`, in offset order. */
  observe(partition: number, record: { readonly value: string; readonly timestamp: number }): void {
    const p = this.#pipeline;
    const v = p.validator.validateRecord(record.value, record.timestamp);
    if (!v.ok) return;
    let wm = this.#watermarks.get(partition);
    if (!wm) this.#watermarks.set(partition, (wm = new Watermark(this.#policy)));
    const e = v.event;
    const id = p.idOf(e);
    const time = p.timeOf(e);
    if (!this.#seen.has(id)) {
      this.#seen.add(id);
      const bucket = bucketOf(time, this.#bucketMs);
      let c = this.#byBucket.get(bucket);
      if (!c) this.#byBucket.set(bucket, (c = emptyCounts()));
      if (wm.isTooLate(time)) {
        c.tooLate++;
        this.#late.push({ bucket, appendedAt: record.timestamp });
      } else if (time < wm.current) c.lateWithin++;
      else c.onTime++;
    }
    wm.observe(time, record.timestamp ?? NO_APPEND_TIME);
  }

  /** The ledger, given the batch runs that happened (any order). */
  finish(runs: readonly LedgerBatchRun[]): LateLedger {
    const sorted = [...runs].sort((a, b) => a.at - b.at);
    const absorbedByRun: Record<string, number> = {};
    for (const l of this.#late) {
      const run = sorted.find((r) => r.at >= l.appendedAt && r.buckets.includes(l.bucket));
      if (!run) continue;
      const c = this.#byBucket.get(l.bucket)!;
      c.tooLate--;
      c.absorbed++;
      absorbedByRun[run.runId] = (absorbedByRun[run.runId] ?? 0) + 1;
    }
    const totals = emptyCounts();
    const byBucket = [...this.#byBucket].sort((a, b) => a[0] - b[0]).map(([bucket, c]) => {
      totals.onTime += c.onTime;
      totals.lateWithin += c.lateWithin;
      totals.tooLate += c.tooLate;
      totals.absorbed += c.absorbed;
      return { bucket, ...c };
    });
    return { totals, byBucket, absorbedByRun, events: this.#seen.size };
  }
}
