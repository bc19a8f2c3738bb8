import type { Event } from '../model/event.ts';
import type { Rejection } from '../model/rejection.ts';
import { validateRecord } from '../model/validation.ts';
import { bucketOf, isBucketOpen } from '../time/bucket.ts';
import { reachOf } from '../time/window.ts';
import { NO_WATERMARK, Watermark } from '../time/watermark.ts';
import { DedupSet } from './dedup.ts';
import type { Pane, PaneId } from './pane.ts';
import type { Pipeline } from './pipeline.ts';
import { ViewState } from './view-state.ts';

/** A record as read from one partition of the log. */
export interface SourceRecord {
  readonly partition: number;
  readonly offset: number;
  /** When the record was appended to the log (epoch ms). */
  readonly timestamp: number;
  readonly value: string;
}

export interface DeadLetter {
  readonly record: SourceRecord;
  readonly rejection: Rejection;
}

export interface LateEvent {
  readonly record: SourceRecord;
  readonly event: Event;
  /** Events before this time were too late when this one was read. */
  readonly lateBefore: number;
}

/** Cumulative counts of one partition since the start of the log. */
export interface PartitionStats {
  valid: number;
  deadLetter: number;
  duplicate: number;
  tooLate: number;
}

/** Everything needed to resume a partition exactly where it stopped. Stored atomically with the panes. */
export interface PartitionCheckpoint {
  readonly partition: number;
  /** The next offset to read; records below it are already in the stored panes. */
  readonly nextOffset: number;
  /** Max event time seen; null before the first event. */
  readonly maxEventTime: number | null;
  readonly seen: ReadonlyArray<readonly [string, number]>;
  readonly stats: Readonly<PartitionStats>;
}

/** What one partition produced since the last flush: apply it atomically with the checkpoint. */
export interface ChangeSet {
  readonly partition: number;
  readonly upserts: Pane[];
  readonly deletes: PaneId[];
  readonly deadLetters: DeadLetter[];
  readonly late: LateEvent[];
  readonly checkpoint: PartitionCheckpoint;
  /** Log-append times of the records in this change set (min, max), for freshness. */
  readonly appendedBetween: readonly [number, number] | null;
}

export function emptyStats(): PartitionStats {
  return { valid: 0, deadLetter: 0, duplicate: 0, tooLate: 0 };
}

/**
 * The incremental transform for one log partition: validate, dedup, judge lateness against the
 * partition's watermark, fold into windows. Pure computation (no I/O): the speed layer and the
 * Kappa replay feed it records and store what `flush` returns.
 */
export class PartitionProcessor {
  readonly partition: number;
  readonly #pipeline: Pipeline;
  readonly #watermark: Watermark;
  readonly #dedup: DedupSet;
  readonly #views: ViewState[];
  readonly #stats: PartitionStats;
  #nextOffset: number;
  #deadLetters: DeadLetter[] = [];
  #late: LateEvent[] = [];
  #minAppend = Number.POSITIVE_INFINITY;
  #maxAppend = Number.NEGATIVE_INFINITY;

  constructor(pipeline: Pipeline, partition: number, restore?: { checkpoint: PartitionCheckpoint; panes: Iterable<Pane> }) {
    this.partition = partition;
    this.#pipeline = pipeline;
    const cp = restore?.checkpoint;
    this.#watermark = new Watermark(pipeline.config.lateness, cp?.maxEventTime ?? NO_WATERMARK);
    this.#dedup = new DedupSet(pipeline.config.dedupRetentionMs, cp?.seen ?? []);
    this.#views = pipeline.views.map((v) => new ViewState(v));
    this.#stats = cp ? { ...cp.stats } : emptyStats();
    this.#nextOffset = cp?.nextOffset ?? 0;
    if (restore) {
      const byName = new Map(this.#views.map((s) => [s.view.name, s]));
      for (const p of restore.panes) byName.get(p.view)?.restore(p);
    }
  }

  get watermark(): Watermark {
    return this.#watermark;
  }

  get nextOffset(): number {
    return this.#nextOffset;
  }

  get stats(): Readonly<PartitionStats> {
    return this.#stats;
  }

  /** Processes one raw record. Records already covered by the checkpoint (redeliveries) are skipped. */
  process(record: SourceRecord): void {
    if (record.offset < this.#nextOffset) return;
    this.#nextOffset = record.offset + 1;
    if (record.timestamp < this.#minAppend) this.#minAppend = record.timestamp;
    if (record.timestamp > this.#maxAppend) this.#maxAppend = record.timestamp;
    const result = validateRecord(record.value, record.timestamp, this.#pipeline.config.limits);
    if (!result.ok) {
      this.#stats.deadLetter++;
      this.#deadLetters.push({ record, rejection: result.rejection });
      return;
    }
    this.#accept(result.event, record);
  }

  /** Processes an already-validated event (benchmarks, tests). */
  processEvent(e: Event): void {
    this.#accept(e, undefined);
  }

  #accept(e: Event, record: SourceRecord | undefined): void {
    // Dedup before lateness: a late copy of a counted event is a duplicate, not a late event.
    if (!this.#dedup.add(e.event_id, e.event_time)) {
      this.#stats.duplicate++;
      return;
    }
    const wm = this.#watermark;
    if (wm.isTooLate(e.event_time)) {
      this.#stats.tooLate++;
      if (record) this.#late.push({ record, event: e, lateBefore: wm.lateBefore });
      return;
    }
    this.#stats.valid++;
    wm.observe(e.event_time);
    const bucket = bucketOf(e.event_time, this.#pipeline.config.bucketMs);
    const views = this.#views;
    for (let i = 0; i < views.length; i++) if (views[i].view.accepts(e)) views[i].add(e, bucket);
  }

  /** Everything produced since the last flush, with the checkpoint to store atomically with it. */
  flush(): ChangeSet {
    const upserts: Pane[] = [];
    const deletes: PaneId[] = [];
    for (const s of this.#views) {
      const d = s.drain();
      upserts.push(...d.upserts);
      deletes.push(...d.deletes);
    }
    const wm = this.#watermark;
    const bucketMs = this.#pipeline.config.bucketMs;
    for (const s of this.#views) s.evict(wm.lateBefore, bucketMs);
    this.#dedup.expire(wm.current);
    const change: ChangeSet = {
      partition: this.partition,
      upserts,
      deletes,
      deadLetters: this.#deadLetters,
      late: this.#late,
      checkpoint: this.checkpoint(),
      appendedBetween: this.#minAppend <= this.#maxAppend ? [this.#minAppend, this.#maxAppend] : null,
    };
    this.#deadLetters = [];
    this.#late = [];
    this.#minAppend = Number.POSITIVE_INFINITY;
    this.#maxAppend = Number.NEGATIVE_INFINITY;
    return change;
  }

  checkpoint(): PartitionCheckpoint {
    const max = this.#watermark.maxEventTime;
    return {
      partition: this.partition,
      nextOffset: this.#nextOffset,
      maxEventTime: Number.isFinite(max) ? max : null,
      seen: this.#dedup.entries(),
      stats: { ...this.#stats },
    };
  }

  /** Which stored panes of this partition must be restored to resume from `cp` (the others are final). */
  static needsRestore(pipeline: Pipeline, cp: PartitionCheckpoint, pane: Pane): boolean {
    const wm = new Watermark(pipeline.config.lateness, cp.maxEventTime ?? NO_WATERMARK);
    return isBucketOpen(pane.bucket, pipeline.config.bucketMs, reachOf(pipeline.view(pane.view).def.window), wm.lateBefore);
  }
}
