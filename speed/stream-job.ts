import type { EmitStrategy } from '../shared/compute/emit-strategy.ts';
import { emptyStats, PartitionProcessor, type ChangeSet, type PartitionCheckpoint, type PartitionStats } from '../shared/compute/partition-processor.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { TopicNames } from '../shared/config.ts';
import { LkError, ServiceUnavailableError, StoreUnavailableError } from '../shared/errors.ts';
import { retryWithin, type RetryPolicy } from '../shared/retry-within.ts';
import { LatencyHistogram } from '../shared/metrics/latency-histogram.ts';
import type { EventLog, PartitionOffsets, RecordBatch, StartPosition, Subscription } from '../shared/ports/event-log.ts';
import { partitionCommitOf, type NamespaceLoad, type PartitionCommit, type ViewStore } from '../shared/ports/view-store.ts';
import type { DerivedWriter } from '../shared/ports/derived-writer.ts';
import { BufferBound, DEFAULT_MAX_BUFFERED_RECORDS, type FlowState } from './buffer-bound.ts';
import { ensureSideTopics, openSideOutputWriter, sideRecords } from './side-outputs.ts';
import { threadCpuMicros } from './thread-cpu.ts';
import { startOffsets } from './start-offsets.ts';

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
  /**
   * Where to start a partition the view store has no checkpoint for; a checkpoint always wins (it
   * is what the views hold). Never the group's committed offsets: the adapter commits those after
   * each batch, before the view store has the batch, so they may be ahead of what is stored.
   */
  readonly from: StreamStart;
  /** Stop at the end offsets the log had at start (a bounded backfill). */
  readonly stopAtEnd?: boolean;
  /** Largest batch handed over by the log (default 5,000); at most `maxBufferedRecords`. */
  readonly maxBatchRecords?: number;
  /**
   * Longest time processed records wait for their view-store commit (default 100 ms). Batches
   * that arrive meanwhile share one commit: a pane updated by many of them is written once, and
   * the commit's fixed cost is paid once. Freshness is roughly fetch wait + this + commit time.
   */
  readonly commitIntervalMs?: number;
  /**
   * Commit as soon as this many records are uncommitted (default 50,000, or half of
   * `maxBufferedRecords` when that is smaller), bounding commit size; at most `maxBufferedRecords`.
   */
  readonly maxUncommittedRecords?: number;
  /**
   * The memory bound (default 100,000): most records processed and not yet visible in the view
   * store, uncommitted or in a write queued or in flight. Before a batch that would pass it,
   * consumption pauses (onBatch waits, so the consumer fetches nothing) until writes have freed
   * room: when the log grows faster than the store takes commits, the backlog stays in the log
   * and shows as lag, not as memory. See `flow()`.
   */
  readonly maxBufferedRecords?: number;
  /**
   * Write dead-letter and late records to their topics (default true), exactly once per source
   * offset (side-outputs.ts). Turn off for a job whose side records another job over the same log
   * already writes (a replay, or a second architecture run side by side): the writers of both
   * would fence each other in turn.
   */
  readonly sideOutputs?: boolean;
  /**
   * How long a view-store commit that failed because the store is unavailable
   * (StoreUnavailableError) is retried, with exponential backoff from 100 ms to 5 s, before the
   * job fails (default 60,000; 0 fails at once). Consuming pauses meanwhile.
   */
  readonly storeRetryMs?: number;
  /** Called before each retry of a view-store commit, with the error and the wait. */
  readonly onStoreRetry?: (err: StoreUnavailableError, waitMs: number) => void;
  /**
   * How long an append to the side-output topics that failed because the log is unavailable
   * (ServiceUnavailableError: a broker down or restarting) is retried, with the same backoff,
   * before the job fails (default 60,000; 0 fails at once). The consumer rides out the outage on
   * its own; without this, the first dead letter due during it stopped the job. A retried append
   * skips the records the failed attempt stored (the partition's writer learns them again).
   */
  readonly logRetryMs?: number;
  /** Called before each retry of a side-output append, with the error and the wait. */
  readonly onLogRetry?: (err: ServiceUnavailableError, waitMs: number) => void;
  /** Called per partition after each view-store commit. */
  readonly onCommit?: (progress: StreamProgress) => void;
  /**
   * What each commit writes (default `onWindowUpdate`). `onWindowClose` bulk-loads a new
   * namespace (ViewStore.beginLoad): each commit appends the panes whose bucket closed, and the
   * end of the log finishes the load with the open panes and the checkpoints. Only for a bounded
   * single reader (`stopAtEnd`, no `groupId`): a replay. Nothing is visible, or resumable, before
   * the end.
   */
  readonly emit?: EmitStrategy;
}

/** The start positions a stream job accepts: every one but the group's committed offsets. */
export type StreamStart = Exclude<StartPosition, { readonly kind: 'committed' }>;

export interface StreamProgress {
  readonly partition: number;
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly records: number;
  readonly totals: PartitionStats;
  /** The partition's checkpoint as committed (its watermark, counts). */
  readonly checkpoint: PartitionCheckpoint;
  /** How long the write holding this commit took (side outputs and the view-store transaction). */
  readonly commitMs: number;
}

/**
 * The streaming job: the one runner of the shared transform over the log, used as the Lambda
 * speed layer and as the Kappa job (and its replay). Per assigned partition it restores a
 * PartitionProcessor from the view store's checkpoint, feeds it each batch, and commits the
 * changed panes with the new checkpoint atomically (one view-store transaction per partition): exactly-once views on an
 * at-least-once log, because redelivered offsets below the checkpoint are skipped.
 *
 * Commits are coalesced (Kafka Streams' commit.interval.ms): batches of every owned partition
 * accumulate in memory until `commitIntervalMs` passed or `maxUncommittedRecords` piled up, then
 * go to the store in one commit. The log's consumer-group offsets may run ahead of the views
 * meanwhile; that is safe because on (re)assignment the view store's checkpoint, not the group
 * offset, decides where reading resumes (or, for a partition
 * never checkpointed, the configured start position).
 *
 * Memory is bounded by backpressure: records processed and not yet visible never exceed
 * `maxBufferedRecords`; a batch that would pass it waits (and with it the consumer) until writes
 * have freed room, so a log that grows faster than the store commits keeps its backlog as lag.
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
  /** Main-thread CPU µs spent in the transform (processing records, taking change sets), see computeCpuMs. */
  #computeCpuUs = 0;
  /** Partitions with processed, uncommitted records, and each one's last seen end offset. */
  readonly #uncommitted = new Map<number, number>();
  /** Next offset per owned partition whose records are visible in the view store. */
  readonly #visible = new Map<number, number>();
  /** The last view-store write (resolved when none is in flight). */
  #writing: Promise<void> = Promise.resolve();
  #writeInFlight = false;
  #writeGeneration = 0;
  /** Log-append times of the uncommitted records (freshness is measured when they become visible). */
  #uncommittedAppendTimes: number[] = [];
  #lastCommit = performance.now();
  #timer: NodeJS.Timeout | undefined;
  /** Batches, timer commits and revocations touch the same processors: one at a time. */
  #lock: Promise<unknown> = Promise.resolve();
  /** Rejects `done`: a background write or a timer commit failed. */
  #fail: ((err: unknown) => void) | undefined;
  /**
   * Set when a commit failed. Its change sets were drained from the processors but never stored,
   * so the processors no longer match the store: nothing may be committed after it (a restart
   * restores from the store's last checkpoint).
   */
  #commitFailed: unknown;
  /** The bulk load this job writes (emitting on window close). */
  #load: NamespaceLoad | undefined;
  /** End offsets when a `latest` start was first needed. */
  #latest: Promise<PartitionOffsets> | undefined;
  /** The side-output writer of each owned partition (with side outputs on). */
  readonly #writers = new Map<number, DerivedWriter>();
  /** Records processed and not yet visible, against `maxBufferedRecords`. */
  readonly #buffer: BufferBound;
  /** Processed, uncommitted records per partition. */
  readonly #uncommittedRecords = new Map<number, number>();
  readonly #maxBatch: number;
  readonly #maxUncommitted: number;

  constructor(deps: StreamJobDeps, options: StreamJobOptions) {
    if (options.emit === 'onWindowClose' && (!options.stopAtEnd || options.groupId !== undefined)) {
      throw new LkError('a stream job emitting on window close bulk-loads a new namespace: it must stop at the end of the log (stopAtEnd) and read alone (no groupId)');
    }
    for (const [name, retryMs] of [['storeRetryMs', options.storeRetryMs ?? DEFAULT_STORE_RETRY_MS], ['logRetryMs', options.logRetryMs ?? DEFAULT_LOG_RETRY_MS]] as const) {
      if (!Number.isFinite(retryMs) || retryMs < 0) throw new LkError(`${name}=${retryMs} must be a number of milliseconds >= 0`);
    }
    if ((options.from.kind as string) === 'committed') {
      throw new LkError(
        "a stream job cannot start from the group's committed offsets: they run ahead of the view store (committed after each batch, before the view commit), " +
          "so records would be lost after a crash; start from 'earliest', 'latest', a timestamp or offsets (a partition's checkpoint, when there is one, always wins)",
      );
    }
    const maxBuffered = options.maxBufferedRecords ?? DEFAULT_MAX_BUFFERED_RECORDS;
    this.#buffer = new BufferBound(maxBuffered);
    this.#maxBatch = options.maxBatchRecords ?? 5_000;
    this.#maxUncommitted = options.maxUncommittedRecords ?? Math.max(1, Math.min(50_000, Math.floor(maxBuffered / 2)));
    for (const [name, n] of [['maxBatchRecords', this.#maxBatch], ['maxUncommittedRecords', this.#maxUncommitted]] as const) {
      if (!Number.isSafeInteger(n) || n < 1 || n > maxBuffered) {
        throw new LkError(`${name}=${n} must be a whole number from 1 to maxBufferedRecords (${maxBuffered}): a batch or a commit larger than the memory bound could never be taken; raise --max-buffered-records or lower ${name}`);
      }
    }
    this.#deps = deps;
    this.#options = options;
  }

  /** Starts consuming; `done` resolves when it stops. */
  async start(): Promise<Subscription> {
    const { log, views, topics } = this.#deps;
    const o = this.#options;
    if (o.sideOutputs ?? true) await ensureSideTopics(log, topics);
    if (o.emit === 'onWindowClose') this.#load = await views.beginLoad(o.namespace);
    else await views.ensureNamespace(o.namespace);
    const consumer = await log.consume({
      topic: topics.events,
      groupId: o.groupId,
      from: o.from,
      stopAtEnd: o.stopAtEnd,
      maxBatchRecords: this.#maxBatch,
      onAssigned: (partitions) => this.#assign(partitions),
      onRevoked: (partitions) =>
        this.#exclusive(async () => {
          // Hand the partitions over with everything read from them committed (unless the job is failing).
          if (this.#commitFailed === undefined) await this.#commitAndWait(partitions);
          // A load reads alone, so this is its end: its processors (and writers) hold what finishes it.
          if (this.#load) return;
          await this.#closeWriters(partitions);
          for (const p of partitions) {
            const proc = this.#processors.get(p);
            if (proc) this.#released.set(p, { ...proc.stats });
            this.#processors.delete(p);
            this.#visible.delete(p);
          }
        }),
      onBatch: (batch) => this.#exclusive(() => this.#onBatch(batch)),
    });
    const failed = new Promise<never>((_, reject) => (this.#fail = reject));
    failed.catch(() => undefined); // observed through `done`
    const finish = async () => {
      clearTimeout(this.#timer);
      try {
        await this.#exclusive(() => this.#commitAndWait());
        if (this.#load) await this.#exclusive(() => this.#finishLoad(this.#load!));
      } finally {
        await this.#closeWriters();
      }
    };
    // A failed commit (from a batch, the timer or a background write) stops the consumer and rejects `done` with its error.
    const done = Promise.race([consumer.done, failed]).then(finish, async (err: unknown) => {
      clearTimeout(this.#timer);
      await consumer.stop().catch(() => undefined);
      await this.#writing.catch(() => undefined);
      await this.#closeWriters().catch(() => undefined);
      throw err;
    });
    this.#subscription = { done, stop: async () => (await consumer.stop(), await done.catch(() => undefined)) };
    return this.#subscription;
  }

  async stop(): Promise<void> {
    await this.#subscription?.stop();
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(fn, fn);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  /**
   * Restores each newly assigned partition and returns where to seek it: every one of them, so
   * the adapter's own choice (the group's committed offset) never decides what is read.
   */
  async #assign(partitions: readonly number[]): Promise<PartitionOffsets> {
    const { views, pipeline } = this.#deps;
    const checkpoints = await views.checkpoints(this.#options.namespace);
    const fresh = partitions.filter((p) => !checkpoints.has(p));
    const starts = fresh.length > 0 ? await this.#startOffsets() : new Map<number, number>();
    const seek = new Map<number, number>();
    for (const p of partitions) {
      const cp = checkpoints.get(p);
      if (!cp) {
        const at = starts.get(p);
        if (at === undefined) throw new LkError(`partition ${p} of ${this.#deps.topics.events} has no start offset in the log: the topic has fewer partitions than the group assigned`);
        this.#processors.set(p, new PartitionProcessor(pipeline, p, undefined, this.#options.emit));
        this.#visible.set(p, at);
        seek.set(p, at);
        continue;
      }
      // Only panes that can still change are needed in memory; older ones are final in the store.
      const minBucket = PartitionProcessor.restoreFloor(pipeline, cp);
      const stored = await views.partitionPanes(this.#options.namespace, p, minBucket);
      const panes = stored.filter((pane) => PartitionProcessor.needsRestore(pipeline, cp, pane));
      const seen = await views.seenIds(this.#options.namespace, p, PartitionProcessor.dedupCutoff(pipeline, cp));
      this.#processors.set(p, new PartitionProcessor(pipeline, p, { checkpoint: cp, panes, seen }, this.#options.emit));
      this.#visible.set(p, cp.nextOffset);
      seek.set(p, cp.nextOffset);
    }
    await this.#openWriters(partitions);
    return seek;
  }

  /**
   * Opens the side-output writers of newly owned partitions (unless side outputs are off): each
   * fences the partition's previous writer, a member that may still be working on it unaware of
   * the rebalance, and skips what was written already when records are processed again.
   */
  async #openWriters(partitions: readonly number[]): Promise<void> {
    if (!(this.#options.sideOutputs ?? true)) return;
    const { log, topics } = this.#deps;
    await this.#closeWriters(partitions);
    await Promise.all(partitions.map(async (p) => this.#writers.set(p, await this.#whileLogUnavailable(() => openSideOutputWriter(log, topics, p)))));
  }

  /** Closes the side-output writers of the given partitions (default: all). */
  async #closeWriters(partitions: readonly number[] = [...this.#writers.keys()]): Promise<void> {
    await Promise.all(
      partitions.map(async (p) => {
        const w = this.#writers.get(p);
        this.#writers.delete(p);
        await w?.close();
      }),
    );
  }

  /**
   * The configured start position of every partition, through the EventLog port. `latest` is
   * resolved once per job: a partition reassigned before its first commit then starts where the
   * job started, not at a later end that would skip what arrived meanwhile.
   */
  async #startOffsets(): Promise<PartitionOffsets> {
    const { log, topics } = this.#deps;
    const from = this.#options.from;
    if (from.kind !== 'latest') return startOffsets(log, topics.events, from);
    this.#latest ??= startOffsets(log, topics.events, from);
    return this.#latest;
  }

  async #onBatch(batch: RecordBatch): Promise<void> {
    let proc = this.#processors.get(batch.partition);
    if (!proc) {
      // An adapter that did not announce the assignment: restore lazily, the same way.
      await this.#assign([batch.partition]);
      proc = this.#processors.get(batch.partition)!;
    }
    await this.#makeRoom(batch.records.length);
    const times = this.#uncommittedAppendTimes;
    const cpu = threadCpuMicros();
    for (const r of batch.records) {
      proc.process({ partition: r.partition, offset: r.offset, timestamp: r.timestamp, value: r.value, headers: r.headers });
      times.push(r.timestamp);
    }
    this.#computeCpuUs += threadCpuMicros() - cpu;
    this.#buffer.add(batch.records.length);
    this.#uncommitted.set(batch.partition, batch.highWatermark);
    this.#uncommittedRecords.set(batch.partition, (this.#uncommittedRecords.get(batch.partition) ?? 0) + batch.records.length);
    if (times.length >= this.#maxUncommitted) await this.#commit();
    else await this.#commitIfDue();
  }

  /**
   * Backpressure: waits until `records` more fit under `maxBufferedRecords`, committing what is
   * uncommitted when no write is in flight, so the records held shrink only as writes are stored.
   * The consumer fetches nothing meanwhile (onBatch has not returned).
   */
  async #makeRoom(records: number): Promise<void> {
    if (this.#buffer.fits(records)) return;
    this.#buffer.pause();
    try {
      while (!this.#buffer.fits(records)) {
        if (this.#commitFailed !== undefined) throw this.#commitFailed;
        if (this.#writeInFlight) {
          await this.#writing;
          continue;
        }
        const generation = this.#writeGeneration;
        if (this.#uncommitted.size > 0) await this.#commit();
        // Nothing held that a write could free: the accounting and the job disagree, so do not stall.
        if (this.#writeGeneration === generation) break;
      }
    } finally {
      this.#buffer.resume();
    }
    if (this.#commitFailed !== undefined) throw this.#commitFailed;
  }

  /** The flow control's accounting: records buffered (processed, not yet visible), the bound, and whether and how often consumption paused. */
  flow(): FlowState {
    return this.#buffer.state();
  }

  /**
   * Commits when the interval is up and no write is in flight; otherwise makes sure a commit
   * follows: the timer (a quiet log must not leave records invisible) or the end of the write in
   * flight. Waiting for that write instead of queueing behind it is group commit: under load each
   * commit takes more records, so the store writes fewer rows per record (a pane updated by many
   * of them is written once) and keeps up, while an idle job still commits within the interval.
   */
  async #commitIfDue(): Promise<void> {
    if (this.#uncommitted.size === 0 || this.#commitFailed !== undefined) return;
    const interval = this.#options.commitIntervalMs ?? 100;
    const waited = performance.now() - this.#lastCommit;
    if (waited >= interval && !this.#writeInFlight) {
      await this.#commit();
    } else if (waited < interval && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#exclusive(() => this.#commitIfDue()).catch((err: unknown) => this.#fail?.(err));
      }, interval - waited);
    }
  }

  /**
   * Commits the uncommitted work of the given partitions (default: all) in one view-store
   * commit (atomic per partition). The change sets are taken from the processors now; the write runs in the
   * background while the next batches are processed (the store works on another core), one write
   * at a time and in order. Resolves once the previous write is done, so at most one is in flight.
   */
  async #commit(only?: readonly number[]): Promise<void> {
    if (this.#commitFailed !== undefined) throw this.#commitFailed;
    const partitions = [...this.#uncommitted.keys()].filter((p) => (only ? only.includes(p) : true) && this.#processors.has(p));
    if (partitions.length === 0) return;
    const cpu = threadCpuMicros();
    const changes = partitions.map((p) => ({ change: this.#processors.get(p)!.flush(), highWatermark: this.#uncommitted.get(p)! }));
    this.#computeCpuUs += threadCpuMicros() - cpu;
    // Append times of partitions not committed now (a revocation commits only some) are attributed to this commit: close enough.
    const appendTimes = this.#uncommittedAppendTimes;
    this.#uncommittedAppendTimes = [];
    let held = 0;
    for (const p of partitions) {
      held += this.#uncommittedRecords.get(p) ?? 0;
      this.#uncommittedRecords.delete(p);
      this.#uncommitted.delete(p);
    }
    this.#lastCommit = performance.now();
    if (this.#uncommitted.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const previous = this.#writing;
    const generation = ++this.#writeGeneration;
    // Waiting for the write in flight before this one is queued holds consumption too: count it as a pause.
    const waits = this.#writeInFlight;
    this.#writeInFlight = true;
    this.#writing = previous
      .then(() => this.#write(changes, appendTimes))
      .then(
        () => {
          this.#buffer.release(held);
          if (generation !== this.#writeGeneration) return; // a later write is queued behind this one
          this.#writeInFlight = false;
          // Records that arrived during the write are due now or soon.
          this.#exclusive(() => this.#commitIfDue()).catch((err: unknown) => this.#fail?.(err));
        },
        (err: unknown) => {
          this.#commitFailed ??= err;
          this.#fail?.(err);
        },
      );
    if (waits) this.#buffer.pause();
    try {
      await previous;
    } finally {
      if (waits) this.#buffer.resume();
    }
    if (this.#commitFailed !== undefined) throw this.#commitFailed;
  }

  /** Commits and waits until the write is stored; throws if a write failed. */
  async #commitAndWait(only?: readonly number[]): Promise<void> {
    await this.#commit(only);
    await this.#writing;
    if (this.#commitFailed !== undefined) throw this.#commitFailed;
  }

  async #write(pending: ReadonlyArray<{ change: ChangeSet; highWatermark: number }>, appendTimes: readonly number[]): Promise<void> {
    // A write after a failed one would store checkpoints past panes that were never stored.
    if (this.#commitFailed !== undefined) throw this.#commitFailed;
    const changes = pending.map((p) => p.change);
    await this.#writeSideOutputs(changes);
    const load = this.#load;
    const started = performance.now();
    if (load) {
      // Final panes only: nothing of a load is visible (no freshness) or resumable before its end.
      await Promise.all(changes.map((c) => load.append(c.partition, c.upserts)));
    } else {
      await this.#storeCommit(changes.map(partitionCommitOf));
      // Freshness: append to visible (the commit above is what queries read).
      const now = (this.#deps.clock ?? Date.now)();
      for (const t of appendTimes) this.freshness.record(now - t);
    }
    this.#records += appendTimes.length;
    const commitMs = performance.now() - started;
    for (const { change: c, highWatermark } of pending) {
      if (!load) this.#visible.set(c.partition, c.checkpoint.nextOffset);
      this.#options.onCommit?.({ partition: c.partition, nextOffset: c.checkpoint.nextOffset, highWatermark, records: this.#records, totals: this.totals(), checkpoint: c.checkpoint, commitMs });
    }
  }

  /**
   * Commits to the view store, retrying while it is unavailable (within `storeRetryMs`). A store
   * may have committed some partitions before it failed (one transaction each), so a retry skips
   * the partitions whose stored checkpoint already has the commit's offset and writes the new
   * panes of the others as upserts: whatever the first attempt left, the retry ends in the state
   * one successful commit makes.
   */
  async #storeCommit(commits: readonly PartitionCommit[]): Promise<void> {
    const { views } = this.#deps;
    const namespace = this.#options.namespace;
    await retryWithin(
      async (attempt) => views.commit(namespace, attempt === 1 ? commits : await retryCommits(views, namespace, commits)),
      whileUnavailable(
        (err) => err instanceof StoreUnavailableError,
        this.#options.storeRetryMs ?? DEFAULT_STORE_RETRY_MS,
        { what: 'the view store', budget: 'storeRetryMs', fix: 'Check that the store is up and reachable; a restart resumes from the last stored checkpoint (raise --store-retry-ms to wait longer)' },
        (err, waitMs) => this.#options.onStoreRetry?.(err as StoreUnavailableError, waitMs),
      ),
    );
  }

  /** Ends a bulk load: the panes still open, the remembered ids and the checkpoints, with the indexes, in one step. */
  async #finishLoad(load: NamespaceLoad): Promise<void> {
    if (this.#commitFailed !== undefined) throw this.#commitFailed;
    const changes = [...this.#processors.values()].map((p) => p.flushAll());
    await this.#writeSideOutputs(changes);
    // A load is the namespace's only writer and has no checkpoint until this call: nothing to fence.
    await load.finish(changes.map((c) => ({ ...partitionCommitOf(c), base: undefined })));
    for (const c of changes) this.#visible.set(c.partition, c.checkpoint.nextOffset);
  }

  /**
   * The dead-letter and late records of the change sets, through each partition's writer, unless
   * this job leaves side outputs to another. Retried while the log is unavailable: the writer skips
   * whatever a failed attempt did write.
   */
  async #writeSideOutputs(changes: readonly ChangeSet[]): Promise<void> {
    if (!(this.#options.sideOutputs ?? true)) return;
    const { topics } = this.#deps;
    await Promise.all(
      changes.map(async (c) => {
        const records = sideRecords(topics, c.deadLetters, c.late);
        if (records.length === 0) return;
        const writer = this.#writers.get(c.partition);
        if (!writer) throw new LkError(`no side-output writer for partition ${c.partition} of ${topics.events}: the job committed a partition it does not own`);
        await this.#whileLogUnavailable(() => writer.append(records));
      }),
    );
  }

  /** Runs a side-output call, retrying it while the log is unavailable (within `logRetryMs`). */
  #whileLogUnavailable<T>(call: () => Promise<T>): Promise<T> {
    return retryWithin(
      call,
      whileUnavailable(
        // Only the log being down for now; a view-store error cannot come from an append.
        (err) => err instanceof ServiceUnavailableError && !(err instanceof StoreUnavailableError),
        this.#options.logRetryMs ?? DEFAULT_LOG_RETRY_MS,
        { what: 'the log', budget: 'logRetryMs', fix: 'Check that the broker is up and reachable; a restart resumes from the last stored checkpoint' },
        (err, waitMs) => this.#options.onLogRetry?.(err as ServiceUnavailableError, waitMs),
      ),
    );
  }

  /** Records processed by this member since it started. */
  get records(): number {
    return this.#records;
  }

  /**
   * CPU ms of the transform on the main thread (processing records, taking their change sets),
   * measured around those synchronous steps (threadCpuMicros): the job's own compute even when
   * other work shares the process; the view-store and side-output writes are not in it.
   */
  get computeCpuMs(): number {
    return Math.round(this.#computeCpuUs / 1000);
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

  /** Next offset per owned partition whose records are visible in the view store (to tell when the job has caught up with the log). */
  positions(): Map<number, number> {
    return new Map(this.#visible);
  }
}

const DEFAULT_STORE_RETRY_MS = 60_000;
const DEFAULT_LOG_RETRY_MS = 60_000;

/**
 * The retry policy for a service that is down for now: retries while `unavailable` accepts the
 * error, for at most `budgetMs`; then fails with that service's error, saying how long it waited
 * and what to do.
 */
function whileUnavailable(
  unavailable: (err: unknown) => boolean,
  budgetMs: number,
  text: { readonly what: string; readonly budget: string; readonly fix: string },
  onRetry: (err: unknown, waitMs: number) => void,
): RetryPolicy {
  return {
    budgetMs,
    retriable: unavailable,
    onRetry,
    giveUp: (caught, tried) => {
      const err = caught as ServiceUnavailableError;
      const message = `${text.what} stayed unavailable for ${Math.round(tried.elapsedMs)} ms (${tried.attempts} attempts, ${text.budget} ${budgetMs}): ${err.message}. ${text.fix}`;
      // The same class as the failure, so callers can still tell a store outage from a log outage.
      return err instanceof StoreUnavailableError ? new StoreUnavailableError(err.service, message, err) : new ServiceUnavailableError(err.service, message, err);
    },
  };
}

/** What a retry of `commits` still has to write: the partitions the store has not committed, their new panes as upserts. */
async function retryCommits(views: ViewStore, namespace: string, commits: readonly PartitionCommit[]): Promise<PartitionCommit[]> {
  const stored = await views.checkpoints(namespace);
  return commits
    .filter((c) => (stored.get(c.partition)?.nextOffset ?? -1) < c.checkpoint.nextOffset)
    .map((c) => ({ ...c, inserts: [], upserts: [...(c.inserts ?? []), ...c.upserts] }));
}
