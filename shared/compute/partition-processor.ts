import type { Event } from '../model/event.ts';
import type { Rejection } from '../model/rejection.ts';
import { bucketOf, isBucketOpen } from '../time/bucket.ts';
import { reachOf } from '../time/window.ts';
import { NO_APPEND_TIME, NO_WATERMARK, Watermark, type LatenessPolicy } from '../time/watermark.ts';
import { catchUpMismatch, catchUpMismatchError, type CatchUp } from './catch-up.ts';
import { DedupSet, dedupCutoff, NO_SEEN_IDS, type SeenIds } from './dedup.ts';
import type { EmitStrategy } from './emit-strategy.ts';
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
  /** The log record's headers (lk ingest's provenance), carried into its side-output record. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DeadLetter {
  readonly record: SourceRecord;
  readonly rejection: Rejection;
}

export interface LateEvent {
  readonly record: SourceRecord;
  readonly event: Event;
  /** The event's time and its log key (the schema's fields), for the late topic's record. */
  readonly eventTime: number;
  readonly logKey: string;
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
  /** Max event time seen (outliers included); null before the first event. */
  readonly maxEventTime: number | null;
  /**
   * The watermark's event-time progress (see Watermark); null before the first event. Fixes the
   * watermark and the dedup cutoff. Absent in checkpoints written before the append-time cap:
   * those resume with progress = maxEventTime, the rule they were written under.
   */
  readonly watermarkProgress?: number | null;
  /** Latest append time of a valid record (Watermark.lastAppendTime), for idleness; null before one, absent in older checkpoints (unknown). */
  readonly lastAppendTime?: number | null;
  readonly stats: Readonly<PartitionStats>;
  /** Views that start at other offsets than the partition (a job started from a savepoint with new views, catch-up.ts); absent: none. */
  readonly catchUp?: CatchUp;
}

/**
 * The dedup changelog of one flush: ids first seen since the previous flush, stored with the
 * checkpoint; ids first seen before `forgetBefore` are forgotten, so a store may drop them.
 */
export interface DedupChanges {
  readonly added: SeenIds;
  readonly forgetBefore: number;
}

/** A commit that adds no ids and forgets none. */
export const NO_DEDUP_CHANGES: DedupChanges = { added: NO_SEEN_IDS, forgetBefore: Number.NEGATIVE_INFINITY };

/** What a PartitionProcessor resumes from: the checkpoint, the panes still open, the ids still remembered. */
export interface PartitionRestore {
  readonly checkpoint: PartitionCheckpoint;
  readonly panes: Iterable<Pane>;
  /** Ids first seen at or after `PartitionProcessor.dedupCutoff(pipeline, checkpoint)`; more are ignored. */
  readonly seen?: SeenIds;
}

/** What one partition produced since the last flush: apply it atomically with the checkpoint. */
export interface ChangeSet {
  readonly partition: number;
  /** Changed panes the store has no row for yet (never flushed before, not restored): plain inserts. */
  readonly inserts: Pane[];
  /** Changed panes the store already holds (or, emitting on close, the closed panes). */
  readonly upserts: Pane[];
  readonly deletes: PaneId[];
  readonly deadLetters: DeadLetter[];
  readonly late: LateEvent[];
  readonly dedup: DedupChanges;
  readonly checkpoint: PartitionCheckpoint;
  /** The checkpoint offset this change set builds on: the one restored or last flushed (null: none). */
  readonly base: number | null;
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
  /** The checkpoint offset the store holds for this partition as far as this processor knows: restored or last flushed. */
  #base: number | null;
  #deadLetters: DeadLetter[] = [];
  #late: LateEvent[] = [];
  #minAppend = Number.POSITIVE_INFINITY;
  #maxAppend = Number.NEGATIVE_INFINITY;
  readonly #emit: EmitStrategy;
  /** While views start at other offsets: the catch-up, and each view's first offset by view index; undefined once every view folds every record. */
  #catchUp: CatchUp | undefined;
  #viewFrom: number[] | undefined;
  /** The offset every view folds from. */
  #catchUpEnd = Number.NEGATIVE_INFINITY;

  /** `emit`: what each flush reports (default `onWindowUpdate`, see EmitStrategy). */
  constructor(pipeline: Pipeline, partition: number, restore?: PartitionRestore, emit: EmitStrategy = 'onWindowUpdate') {
    this.partition = partition;
    this.#pipeline = pipeline;
    this.#emit = emit;
    const cp = restore?.checkpoint;
    this.#watermark = cp ? checkpointWatermark(pipeline.config.lateness, cp) : new Watermark(pipeline.config.lateness);
    this.#dedup = new DedupSet(pipeline.config.dedupRetentionMs, restore?.seen ?? NO_SEEN_IDS);
    this.#views = pipeline.views.map((v) => new ViewState(v));
    this.#stats = cp ? { ...cp.stats } : emptyStats();
    this.#nextOffset = cp?.nextOffset ?? 0;
    this.#base = cp ? cp.nextOffset : null;
    if (restore) {
      const byName = new Map(this.#views.map((s) => [s.view.name, s]));
      for (const p of restore.panes) byName.get(p.view)?.restore(p);
    }
    if (cp?.catchUp) {
      const from = cp.catchUp.viewsFrom;
      this.#catchUp = cp.catchUp;
      this.#viewFrom = this.#views.map((s) => from[s.view.name] ?? Number.NEGATIVE_INFINITY);
      this.#catchUpEnd = Math.max(...this.#viewFrom, cp.catchUp.expect?.offset ?? Number.NEGATIVE_INFINITY);
      this.#endCatchUp();
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
    // Before the record changes anything: the state the savepoint's views resume with.
    if (this.#catchUp?.expect !== undefined && record.offset >= this.#catchUp.expect.offset) this.#checkCaughtUp();
    this.#nextOffset = record.offset + 1;
    if (record.timestamp < this.#minAppend) this.#minAppend = record.timestamp;
    if (record.timestamp > this.#maxAppend) this.#maxAppend = record.timestamp;
    const result = this.#pipeline.validator.validateRecord(record.value, record.timestamp);
    if (!result.ok) {
      this.#stats.deadLetter++;
      this.#deadLetters.push({ record, rejection: result.rejection });
    } else {
      this.#accept(result.event, record);
    }
    // After the record: it was judged by the views' starts still in force.
    if (this.#catchUp !== undefined) this.#endCatchUp();
  }

  /** Processes an already-validated event (benchmarks, tests). */
  processEvent(e: Event): void {
    this.#accept(e, undefined);
  }

  #accept(e: Event, record: SourceRecord | undefined): void {
    this.#judge(e, record);
    // Every valid record moves the watermark, whatever its verdict, so a reader without dedup
    // state (the archiver) derives the same watermark from the same records. A too-late event
    // cannot move it (its time is behind the progress); a duplicate can only by its own append time.
    this.#watermark.observe(this.#pipeline.timeOf(e), record?.timestamp ?? NO_APPEND_TIME);
  }

  #judge(e: Event, record: SourceRecord | undefined): void {
    const wm = this.#watermark;
    const p = this.#pipeline;
    const time = p.timeOf(e);
    // Dedup before lateness: a late copy of a counted event is a duplicate, not a late event.
    if (!this.#dedup.add(p.idOf(e), time, dedupCutoff(wm.current, p.config.dedupRetentionMs))) {
      this.#stats.duplicate++;
      return;
    }
    if (wm.isTooLate(time)) {
      this.#stats.tooLate++;
      if (record) this.#late.push({ record, event: e, eventTime: time, logKey: p.logKeyOf(e), lateBefore: wm.lateBefore });
      return;
    }
    this.#stats.valid++;
    const bucket = bucketOf(time, p.config.bucketMs);
    const views = this.#views;
    const from = this.#viewFrom;
    if (from === undefined) {
      for (let i = 0; i < views.length; i++) if (views[i].view.accepts(e)) views[i].add(e, bucket, time);
    } else {
      // Catching up: a view folds only the records from its own start (the nextOffset was moved past this one).
      const offset = this.#nextOffset - 1;
      for (let i = 0; i < views.length; i++) if (offset >= from[i] && views[i].view.accepts(e)) views[i].add(e, bucket, time);
    }
  }

  /** Compares the state reached with the savepoint's (once): the resumed views go on only from the state they were saved in. */
  #checkCaughtUp(): void {
    const expect = this.#catchUp!.expect!;
    const differences = catchUpMismatch(expect.state, this.checkpoint());
    if (differences.length > 0) throw catchUpMismatchError(this.partition, expect.offset, differences);
    this.#catchUp = { viewsFrom: this.#catchUp!.viewsFrom };
  }

  /** Ends the catch-up once every view folds every record from here on and the state was checked. */
  #endCatchUp(): void {
    if (this.#nextOffset < this.#catchUpEnd) return;
    if (this.#catchUp?.expect !== undefined) return; // checked before the next record (or at the flush)
    this.#catchUp = undefined;
    this.#viewFrom = undefined;
  }

  /**
   * Everything produced since the last flush, with the checkpoint to store atomically with it.
   * Emitting on window close, the upserts are the panes whose bucket closed since the last flush
   * (final, each reported once), there are no deletes, and the dedup changelog is empty: such
   * flushes are appended to a namespace being built, and `flushAll` ends it.
   */
  flush(): ChangeSet {
    if (this.#catchUp?.expect !== undefined && this.#nextOffset >= this.#catchUp.expect.offset) {
      this.#checkCaughtUp();
      this.#endCatchUp();
    }
    // Appended one by one: spreading a flush of a long replay (100k+ panes) into push() overflows the stack.
    const out = { inserts: [] as Pane[], upserts: [] as Pane[], deletes: [] as PaneId[] };
    const { upserts, deletes, inserts } = out;
    const onClose = this.#emit === 'onWindowClose';
    for (const s of this.#views) {
      if (onClose) s.discardChanges();
      else s.drain(out);
    }
    const wm = this.#watermark;
    const bucketMs = this.#pipeline.config.bucketMs;
    for (const s of this.#views) s.evict(wm.lateBefore, bucketMs, onClose ? upserts : undefined);
    const forgetBefore = dedupCutoff(wm.current, this.#pipeline.config.dedupRetentionMs);
    this.#dedup.sweep(forgetBefore);
    const added = this.#dedup.drainAdded();
    return this.#changeSet(inserts, upserts, deletes, onClose ? NO_SEEN_IDS : added, forgetBefore);
  }

  /**
   * Ends a run emitting on window close: the open panes (changes from here on replace them), every
   * id still remembered and the checkpoint, which together with the panes earlier flushes reported
   * are the state a flush emitting on update would have stored.
   */
  flushAll(): ChangeSet {
    const upserts: Pane[] = [];
    for (const s of this.#views) s.copyOpen(upserts);
    const forgetBefore = dedupCutoff(this.#watermark.current, this.#pipeline.config.dedupRetentionMs);
    this.#dedup.drainAdded();
    return this.#changeSet([], upserts, [], this.#dedup.snapshot(forgetBefore), forgetBefore);
  }

  #changeSet(inserts: Pane[], upserts: Pane[], deletes: PaneId[], added: SeenIds, forgetBefore: number): ChangeSet {
    const change: ChangeSet = {
      partition: this.partition,
      inserts,
      upserts,
      deletes,
      deadLetters: this.#deadLetters,
      late: this.#late,
      dedup: { added, forgetBefore },
      checkpoint: this.checkpoint(),
      base: this.#base,
      appendedBetween: this.#minAppend <= this.#maxAppend ? [this.#minAppend, this.#maxAppend] : null,
    };
    this.#base = change.checkpoint.nextOffset;
    this.#deadLetters = [];
    this.#late = [];
    this.#minAppend = Number.POSITIVE_INFINITY;
    this.#maxAppend = Number.NEGATIVE_INFINITY;
    return change;
  }

  checkpoint(): PartitionCheckpoint {
    const { maxEventTime, progress, lastAppendTime } = this.#watermark;
    return {
      partition: this.partition,
      nextOffset: this.#nextOffset,
      maxEventTime: Number.isFinite(maxEventTime) ? maxEventTime : null,
      watermarkProgress: Number.isFinite(progress) ? progress : null,
      lastAppendTime: Number.isFinite(lastAppendTime) ? lastAppendTime : null,
      stats: { ...this.#stats },
      ...(this.#catchUp ? { catchUp: this.#catchUp } : {}),
    };
  }

  /** Ids first seen before this are forgotten at the checkpoint: a restore needs only the ones after. */
  static dedupCutoff(pipeline: Pipeline, cp: PartitionCheckpoint): number {
    return dedupCutoff(checkpointWatermark(pipeline.config.lateness, cp).current, pipeline.config.dedupRetentionMs);
  }

  /**
   * The lowest bucket any view of this partition could still have open when resuming from `cp`:
   * a restart reads the stored panes from here on (needsRestore then decides per view), so panes
   * of older buckets are final in the store, and only those may be retired (speed-retention.ts).
   */
  static restoreFloor(pipeline: Pipeline, cp: PartitionCheckpoint): number {
    const wm = checkpointWatermark(pipeline.config.lateness, cp);
    if (!Number.isFinite(wm.lateBefore)) return Number.MIN_SAFE_INTEGER;
    const maxReach = Math.max(...pipeline.views.map((v) => reachOf(v.def.window)));
    return bucketOf(wm.lateBefore - pipeline.config.bucketMs - maxReach, pipeline.config.bucketMs);
  }

  /**
   * Which stored panes of this partition must be restored to resume from `cp` (the others are
   * final). A view catching up to a savepoint's offset folds nothing before it, where the
   * watermark is the savepoint's: its panes final there are final now.
   */
  static needsRestore(pipeline: Pipeline, cp: PartitionCheckpoint, pane: Pane): boolean {
    const expect = cp.catchUp?.expect;
    const resumed = expect !== undefined && cp.catchUp!.viewsFrom[pane.view] !== undefined;
    const wm = checkpointWatermark(pipeline.config.lateness, resumed ? expect.state : cp);
    return isBucketOpen(pane.bucket, pipeline.config.bucketMs, reachOf(pipeline.view(pane.view).def.window), wm.lateBefore);
  }
}

/** The watermark a checkpoint resumes with (one written before `watermarkProgress` existed: progress = max event time). */
export function checkpointWatermark(policy: LatenessPolicy, cp: Pick<PartitionCheckpoint, 'maxEventTime' | 'watermarkProgress' | 'lastAppendTime'>): Watermark {
  const max = cp.maxEventTime ?? NO_WATERMARK;
  return new Watermark(policy, max, cp.watermarkProgress === undefined ? max : (cp.watermarkProgress ?? NO_WATERMARK), cp.lastAppendTime ?? NO_WATERMARK);
}
