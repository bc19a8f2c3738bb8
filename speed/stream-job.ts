import { emptyStats, PartitionProcessor, type PartitionStats } from '../shared/compute/partition-processor.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TopicNames } from '../shared/config.ts';
import { LatencyHistogram } from '../shared/metrics/latency-histogram.ts';
import type { EventLog, PartitionOffsets, RecordBatch, StartPosition, Subscription } from '../shared/ports/event-log.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { bucketOf } from '../shared/time/bucket.ts';
import { NO_WATERMARK, Watermark } from '../shared/time/watermark.ts';
import { reachOf } from '../shared/time/window.ts';
import { writeSideOutputs } from './side-outputs.ts';

export interface StreamJobDeps {
  readonly log: EventLog;
  readonly views: ViewStore;
  readonly pipeline: Pipeline;
  readonly topics: TopicNames;
  readonly clock?: () => number;
}

export interface StreamJobOptions {
  /** View-store namespace the job writes: `speed`, or `kappa_vN` for a Kappa version. */
  readonly namespace: string;
  /** Consumer group: members share partitions. Omit for a single reader of every partition (a replay). */
  readonly groupId?: string;
  /** Where to start where the view store has no checkpoint; a checkpoint always wins (it is what the views hold). */
  readonly from: StartPosition;
  /** Stop at the end offsets the log had at start (a bounded backfill). */
  readonly stopAtEnd?: boolean;
  readonly maxBatchRecords?: number;
  /**
   * Write dead-letter and late records to their topics (default true). Turn off for a job whose
   * side records another job over the same log already writes (a replay, or a second
   * architecture run side by side): they would be the same records again.
   */
  readonly sideOutputs?: boolean;
  /** Called after each committed batch. */
  readonly onCommit?: (progress: StreamProgress) => void;
}

export interface StreamProgress {
  readonly partition: number;
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly records: number;
  readonly totals: PartitionStats;
}

/**
 * The streaming job: the one runner of the shared transform over the log, used as the Lambda
 * speed layer and as the Kappa job (and its replay). Per assigned partition it restores a
 * PartitionProcessor from the view store's checkpoint, feeds it each batch, and commits the
 * changed panes with the new checkpoint in one view-store transaction: exactly-once views on an
 * at-least-once log, because redelivered offsets below the checkpoint are skipped.
 */
export class StreamJob {
  readonly #deps: StreamJobDeps;
  readonly #options: StreamJobOptions;
  readonly #processors = new Map<number, PartitionProcessor>();
  /** Stats of partitions this member no longer owns, so totals stay cumulative. */
  readonly #released = new Map<number, PartitionStats>();
  readonly freshness = new LatencyHistogram();
  #subscription: Subscription | undefined;
  #records = 0;

  constructor(deps: StreamJobDeps, options: StreamJobOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /** Starts consuming; `done` resolves when it stops. */
  async start(): Promise<Subscription> {
    const { log, views, topics } = this.#deps;
    const o = this.#options;
    await views.ensureNamespace(o.namespace);
    this.#subscription = await log.consume({
      topic: topics.events,
      groupId: o.groupId,
      from: o.from,
      stopAtEnd: o.stopAtEnd,
      maxBatchRecords: o.maxBatchRecords ?? 5_000,
      onAssigned: (partitions) => this.#assign(partitions),
      onRevoked: async (partitions) => {
        for (const p of partitions) {
          const proc = this.#processors.get(p);
          if (proc) this.#released.set(p, { ...proc.stats });
          this.#processors.delete(p);
        }
      },
      onBatch: (batch) => this.#onBatch(batch),
    });
    return this.#subscription;
  }

  async stop(): Promise<void> {
    await this.#subscription?.stop();
  }

  /** Restores each newly assigned partition and returns where to seek it. */
  async #assign(partitions: readonly number[]): Promise<PartitionOffsets> {
    const { views, pipeline } = this.#deps;
    const checkpoints = await views.checkpoints(this.#options.namespace);
    const seek = new Map<number, number>();
    for (const p of partitions) {
      const cp = checkpoints.get(p);
      if (!cp) {
        this.#processors.set(p, new PartitionProcessor(pipeline, p));
        continue;
      }
      const wm = new Watermark(pipeline.config.lateness, cp.maxEventTime ?? NO_WATERMARK);
      // Only panes that can still change are needed in memory; older ones are final in the store.
      // minBucket is the lowest bucket any view could still have open (needsRestore then decides per view).
      const minBucket = Number.isFinite(wm.lateBefore)
        ? bucketOf(wm.lateBefore - pipeline.config.bucketMs - maxReach(pipeline), pipeline.config.bucketMs)
        : Number.MIN_SAFE_INTEGER;
      const stored = await views.partitionPanes(this.#options.namespace, p, minBucket);
      const panes = stored.filter((pane) => PartitionProcessor.needsRestore(pipeline, cp, pane));
      this.#processors.set(p, new PartitionProcessor(pipeline, p, { checkpoint: cp, panes }));
      seek.set(p, cp.nextOffset);
    }
    return seek;
  }

  async #onBatch(batch: RecordBatch): Promise<void> {
    const { log, views, topics } = this.#deps;
    let proc = this.#processors.get(batch.partition);
    if (!proc) {
      // An adapter that did not announce the assignment: restore lazily, the same way.
      await this.#assign([batch.partition]);
      proc = this.#processors.get(batch.partition)!;
    }
    for (const r of batch.records) proc.process({ partition: r.partition, offset: r.offset, timestamp: r.timestamp, value: r.value });
    const change = proc.flush();
    if (this.#options.sideOutputs ?? true) await writeSideOutputs(log, topics, change.deadLetters, change.late);
    await views.commit(this.#options.namespace, [
      { partition: change.partition, upserts: change.upserts, deletes: change.deletes, checkpoint: change.checkpoint },
    ]);
    // Freshness: append to visible (the commit above is what queries read).
    const now = (this.#deps.clock ?? Date.now)();
    for (const r of batch.records) this.freshness.record(now - r.timestamp);
    this.#records += batch.records.length;
    this.#options.onCommit?.({
      partition: batch.partition,
      nextOffset: proc.nextOffset,
      highWatermark: batch.highWatermark,
      records: this.#records,
      totals: this.totals(),
    });
  }

  /** Records processed by this member since it started. */
  get records(): number {
    return this.#records;
  }

  /** Cumulative counts over every partition this member has owned. */
  totals(): PartitionStats {
    const t = emptyStats();
    const add = (s: PartitionStats) => {
      t.valid += s.valid;
      t.deadLetter += s.deadLetter;
      t.duplicate += s.duplicate;
      t.tooLate += s.tooLate;
    };
    for (const [p, s] of this.#released) if (!this.#processors.has(p)) add(s);
    for (const proc of this.#processors.values()) add(proc.stats);
    return t;
  }

  /** Next offset per owned partition (to tell when the job has caught up with the log). */
  positions(): Map<number, number> {
    return new Map([...this.#processors].map(([p, proc]) => [p, proc.nextOffset]));
  }
}

/** The furthest a pane of any view reaches past its bucket. */
function maxReach(pipeline: Pipeline): number {
  return Math.max(...pipeline.views.map((v) => reachOf(v.def.window)));
}
