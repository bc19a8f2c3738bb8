import { LkError } from '../../shared/errors.ts';
import type { ConsumeOptions, LogRecord, Subscription } from '../../shared/ports/event-log.ts';
import { ChangeSignal } from './change-signal.ts';
import type { EmbeddedTopic } from './embedded-topic.ts';
import type { GroupCoordinator, GroupMember } from './group-coordinator.ts';
import type { GroupOffsetStore } from './group-offset-store.ts';
import { startOffset } from './start-offset.ts';

export const DEFAULT_MAX_BATCH_RECORDS = 1000;

export interface ConsumerDeps {
  readonly topic: EmbeddedTopic;
  readonly offsets: GroupOffsetStore;
  /** Present when the consumer belongs to a group. */
  readonly coordinator?: GroupCoordinator;
  readonly pollIntervalMs: number;
}

/**
 * One consumer of the embedded log (a group member, or the sole reader of every partition). A
 * single loop hands out one batch at a time, round robin over its partitions, like kafkajs'
 * default of one partition in flight, so batches of a partition are strictly sequential and a
 * rebalance only has to wait for the one batch in flight. After each onBatch the group offset
 * (`last offset + 1`) is committed; the next batch does not wait for the file write (commits
 * coalesce), but a revocation, a stop and `done` do.
 */
export class EmbeddedConsumer implements Subscription, GroupMember {
  readonly done: Promise<void>;
  readonly #deps: ConsumerDeps;
  readonly #options: ConsumeOptions;
  readonly #maxBatch: number;
  /** Next offset of each partition this consumer owns. */
  readonly #positions = new Map<number, number>();
  /** End offsets captured at start, for stopAtEnd. */
  readonly #stopAt: ReadonlyMap<number, number> | undefined;
  readonly #signal = new ChangeSignal();
  #inflight: Promise<void> = Promise.resolve();
  /** The latest offset commit; batches go on while it is written, revocation waits for it. */
  #committing: Promise<void> = Promise.resolve();
  #cursor = 0;
  #stopping = false;
  #failure: { readonly error: unknown } | undefined;
  #settle!: { resolve: () => void; reject: (err: unknown) => void };

  private constructor(deps: ConsumerDeps, options: ConsumeOptions) {
    this.#deps = deps;
    this.#options = options;
    const max = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (!Number.isInteger(max) || max < 1) throw new LkError(`maxBatchRecords=${max} must be a whole number >= 1`);
    this.#maxBatch = max;
    this.#stopAt = options.stopAtEnd ? deps.topic.endOffsets() : undefined;
    this.done = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    // A failure is reported through `done`; nobody awaiting it must not crash the process.
    this.done.catch(() => undefined);
  }

  /** Joins the group (or takes every partition), then starts the fetch loop. */
  static async start(deps: ConsumerDeps, options: ConsumeOptions): Promise<EmbeddedConsumer> {
    const c = new EmbeddedConsumer(deps, options);
    deps.topic.listeners.add(c.#signal);
    if (deps.coordinator) await deps.coordinator.join(c);
    else await c.assign(deps.topic.partitions.map((p) => p.partition));
    void c.#run();
    return c;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#signal.notify();
    await this.done.catch(() => undefined);
  }

  /** Partitions this consumer owns now. */
  get assigned(): number[] {
    return [...this.#positions.keys()].sort((a, b) => a - b);
  }

  async assign(partitions: readonly number[]): Promise<void> {
    try {
      const sought = (await this.#options.onAssigned?.(partitions)) || undefined;
      const { topic, coordinator, offsets } = this.#deps;
      const groupId = this.#options.groupId;
      const committed = groupId ? await offsets.committed(topic.name, groupId) : new Map<number, number>();
      for (const p of partitions) {
        const file = topic.partitions[p];
        let at = sought?.get(p);
        if (at !== undefined) {
          if (!Number.isSafeInteger(at) || at < 0 || at > file.endOffset) {
            throw new LkError(`onAssigned asked to start partition ${p} of ${topic.name} at offset ${at}, outside 0..${file.endOffset}: the log was reset or replaced; rebuild the views that stored this position`);
          }
        } else if (coordinator?.wasStarted(p) && committed.has(p)) {
          at = committed.get(p)!; // another member of this group was here: go on where it committed
        } else {
          at = await startOffset(this.#options.from, file, committed);
        }
        coordinator?.markStarted(p);
        this.#positions.set(p, at);
      }
    } catch (err) {
      this.#fail(err);
    }
    this.#signal.notify();
  }

  async revoke(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    for (const p of partitions) this.#positions.delete(p);
    // The batch in flight may be of a revoked partition: its commit must land before a new owner reads.
    await this.#inflight;
    await this.#committing;
    try {
      await this.#options.onRevoked?.(partitions);
    } catch (err) {
      this.#fail(err);
    }
  }

  async #run(): Promise<void> {
    const { topic, coordinator, pollIntervalMs } = this.#deps;
    try {
      while (!this.#stopping && !this.#failure) {
        if (this.#reachedStop()) break;
        // The read is part of the batch in flight: a revocation waits for it, and a batch whose
        // partition was revoked (or re-sought) while it was read is dropped, never delivered.
        let outcome: 'delivered' | 'stale' | 'none' = 'none';
        this.#inflight = (async () => {
          try {
            const next = await this.#nextBatch();
            if (!next) return;
            if (next.records.length === 0 || this.#positions.get(next.partition) !== next.records[0].offset) {
              outcome = 'stale';
              return;
            }
            outcome = 'delivered';
            await this.#deliver(next.partition, next.records);
          } catch (err) {
            outcome = 'stale';
            this.#fail(err);
          }
        })();
        await this.#inflight;
        if (outcome === 'none') {
          await this.#signal.wait(pollIntervalMs);
          await topic.refresh();
        }
      }
    } catch (err) {
      this.#fail(err);
    }
    topic.listeners.delete(this.#signal);
    if (coordinator) await coordinator.leave(this);
    else await this.revoke(this.assigned);
    if (this.#failure) this.#settle.reject(this.#failure.error);
    else this.#settle.resolve();
  }

  /** Whether stopAtEnd applies and every owned partition reached its end offset from the start. */
  #reachedStop(): boolean {
    const stopAt = this.#stopAt;
    if (!stopAt) return false;
    for (const [p, at] of this.#positions) if (at < (stopAt.get(p) ?? 0)) return false;
    return true;
  }

  async #nextBatch(): Promise<{ partition: number; records: LogRecord[] } | undefined> {
    const owned = [...this.#positions.keys()];
    const n = owned.length;
    for (let i = 0; i < n; i++) {
      const p = owned[(this.#cursor + i) % n];
      const at = this.#positions.get(p)!;
      const file = this.#deps.topic.partitions[p];
      const limit = this.#stopAt ? Math.min(file.endOffset, this.#stopAt.get(p) ?? 0) : file.endOffset;
      if (at < limit) {
        this.#cursor = (this.#cursor + i + 1) % n;
        return { partition: p, records: await file.read(at, Math.min(this.#maxBatch, limit - at)) };
      }
    }
    return undefined;
  }

  /** Hands one batch to onBatch, then commits; never rejects (a failure stops the loop instead). */
  async #deliver(partition: number, records: LogRecord[]): Promise<void> {
    const { topic, offsets } = this.#deps;
    try {
      await this.#options.onBatch({ topic: topic.name, partition, records, highWatermark: topic.partitions[partition].endOffset });
      const next = records[records.length - 1].offset + 1;
      if (this.#positions.has(partition)) this.#positions.set(partition, next);
      const groupId = this.#options.groupId;
      if (groupId) this.#committing = offsets.commit(topic.name, groupId, new Map([[partition, next]])).catch((err: unknown) => this.#fail(err));
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#signal.notify();
  }
}
