import { LkError } from '../../shared/errors.ts';
import type { ConsumeOptions, PartitionOffsets, Subscription } from '../../shared/ports/event-log.ts';
import { isRebalance } from './from-kafka-error.ts';
import { heartbeatWhile } from './heartbeat-while.ts';
import { recordFromMessage, type FetchedMessage } from './record-from-message.ts';
import { checkSoughtOffset, startOffset, type PartitionBounds } from './start-offset.ts';

export const DEFAULT_MAX_BATCH_RECORDS = 1000;

/** One partition's fetched batch, structurally (kafkajs' Batch). */
export interface FetchedBatch {
  readonly partition: number;
  readonly highWatermark: string;
  /** The records, without transaction markers and aborted records. */
  readonly messages: readonly FetchedMessage[];
  /** The offset of the batch's last entry, a transaction marker or an aborted record included. */
  lastOffset(): string;
}

/** What kafkajs' eachBatch payload lets a batch handler do. */
export interface BatchControl {
  heartbeat(): Promise<void>;
  /** Whether a seek is pending for the partition (the batch was fetched from the wrong place). */
  isStale(): boolean;
  /** Moves kafkajs' fetch position past `offset`. */
  resolveOffset(offset: string): void;
  /** Commits `next` (the next offset to read) for the partition under this member's generation; no-op without a group. */
  commit(next: number): Promise<void>;
}

/** What the subscription needs from the kafkajs consumer and the admin client. */
export interface SubscriptionDriver {
  /** Bounds of the partitions (and the group's committed offsets / offsets for the timestamp, as the start position needs). */
  bounds(partitions: readonly number[]): Promise<ReadonlyMap<number, PartitionBounds>>;
  /** Makes the next fetch of the partition start at `offset`. */
  seek(partition: number, offset: number): void;
  /** Stops fetching the partitions (they reached the stop offset of a bounded replay). */
  pause(partitions: readonly number[]): void;
  /** Stops the consumer and leaves the group; resolves once no batch is in flight. */
  disconnect(): Promise<void>;
}

export interface SubscriptionSettings {
  readonly topic: string;
  readonly options: ConsumeOptions;
  /** End offsets captured at start, for stopAtEnd. */
  readonly stopAt?: PartitionOffsets;
  /** A group member continues at the group's committed offsets where they are valid. */
  readonly preferCommitted: boolean;
  /** How often to heartbeat while onBatch runs. */
  readonly heartbeatIntervalMs: number;
}

/**
 * One consumer of a Kafka topic, as the EventLog port describes it, on top of kafkajs' consumer.
 * kafkajs has no rebalance listener and positions partitions itself (committed offset, else
 * earliest or latest); this class owns positions instead:
 * - every GROUP_JOIN (`join`) is diffed against what the member had: lost partitions get
 *   onRevoked, new ones onAssigned, and every owned partition is sought to the position this
 *   class decided (onAssigned's offset, else the start position), so kafkajs' own choice never
 *   delivers anything;
 * - a batch waits until the join that preceded it was handled, and one fetched before a pending
 *   seek is dropped (kafkajs refetches from the sought offset);
 * - after onBatch resolves, `last offset + 1` becomes the position and, in a group, is committed.
 * kafkajs' rebalances are eager (every partition is revoked) but its fetch loop drains the batches
 * in flight before rejoining, so a partition's last commit lands before its next owner reads it.
 */
export class KafkaSubscription implements Subscription {
  readonly done: Promise<void>;
  /** Settles when the first assignment was handled (or the consumer failed or stopped before). */
  readonly ready: Promise<void>;
  readonly #settings: SubscriptionSettings;
  readonly #maxBatch: number;
  #driver: SubscriptionDriver | undefined;
  /** Next offset of each partition this member owns. */
  readonly #positions = new Map<number, number>();
  #joins: Promise<void> = Promise.resolve();
  #joined = false;
  /** A rebalance was reported: batches wait for the next join instead of being delivered. */
  #rejoining = false;
  #stopping: Promise<void> | undefined;
  #failure: { readonly error: unknown } | undefined;
  #settle!: { resolve: () => void; reject: (err: unknown) => void };
  #settleReady!: { resolve: () => void; reject: (err: unknown) => void };

  constructor(settings: SubscriptionSettings) {
    this.#settings = settings;
    const max = settings.options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (!Number.isInteger(max) || max < 1) throw new LkError(`maxBatchRecords=${max} must be a whole number >= 1`);
    this.#maxBatch = max;
    this.done = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    this.ready = new Promise<void>((resolve, reject) => (this.#settleReady = { resolve, reject }));
    // Failures are reported through these; nobody awaiting them must not crash the process.
    this.done.catch(() => undefined);
    this.ready.catch(() => undefined);
  }

  /** Connects the subscription to its consumer; must be called before the consumer runs. */
  attach(driver: SubscriptionDriver): void {
    this.#driver = driver;
  }

  /** Whether the first assignment was handled (kafkajs may then restart a crashed consumer). */
  get joined(): boolean {
    return this.#joined;
  }

  /** Partitions this member owns now. */
  get assigned(): number[] {
    return [...this.#positions.keys()].sort((a, b) => a - b);
  }

  /** Handles a GROUP_JOIN: this member's whole assignment in the new generation. */
  join(partitions: readonly number[]): void {
    this.#rejoining = false;
    this.#joins = this.#joins.then(() => this.#join(partitions)).catch((err: unknown) => this.fail(err));
  }

  /** Delivers one fetched batch (kafkajs' eachBatch); throws only kafkajs errors, for kafkajs to rejoin on. */
  async handleBatch(batch: FetchedBatch, ctl: BatchControl): Promise<void> {
    await this.#joins;
    if (!this.#deliverable() || ctl.isStale()) return;
    const { topic, options, stopAt, heartbeatIntervalMs } = this.#settings;
    const p = batch.partition;
    const at = this.#positions.get(p);
    if (at === undefined) return;
    const limit = stopAt ? (stopAt.get(p) ?? 0) : Number.POSITIVE_INFINITY;
    // Redelivered records below the position (a fetch from an older offset) are dropped here.
    const messages = batch.messages.filter((m) => {
      const o = Number(m.offset);
      return o >= at && o < limit;
    });
    const lastFetched = batch.messages.length > 0 ? Number(batch.messages[batch.messages.length - 1].offset) : at;
    // Everything fetched lies behind the position and no seek is pending: steer kafkajs back, or it would refetch it forever.
    if (lastFetched < at) this.#driver?.seek(p, at);
    for (let i = 0; i < messages.length; i += this.#maxBatch) {
      if (!this.#deliverable() || ctl.isStale()) return;
      const records = messages.slice(i, i + this.#maxBatch).map((m) => recordFromMessage(topic, p, m));
      let heartbeatError: unknown;
      try {
        ({ heartbeatError } = await heartbeatWhile(
          options.onBatch({ topic, partition: p, records, highWatermark: Number(batch.highWatermark) }),
          () => ctl.heartbeat(),
          heartbeatIntervalMs,
        ));
      } catch (err) {
        this.fail(err);
        return;
      }
      const last = records[records.length - 1].offset;
      if (this.#positions.has(p)) this.#positions.set(p, last + 1);
      ctl.resolveOffset(String(last));
      try {
        await ctl.commit(last + 1);
      } catch (err) {
        if (isRebalance(err)) this.#rejoining = true;
        throw err;
      }
      if (heartbeatError !== undefined && isRebalance(heartbeatError)) {
        this.#rejoining = true;
        throw heartbeatError;
      }
    }
    // Every record of the batch was delivered: what follows up to its last entry are transaction
    // markers or aborted records (derived topics, derived-writer.ts), nothing to wait for.
    const lastEntry = Number(batch.lastOffset());
    const delivered = messages.length > 0 && Number(messages[messages.length - 1].offset) === lastFetched && this.#positions.get(p) === lastFetched + 1;
    if (delivered && lastEntry > lastFetched) {
      this.#positions.set(p, Math.max(this.#positions.get(p)!, lastEntry + 1));
    }
    // Records at or past the stop offset were fetched, so nothing below it is left (gaps are transaction markers).
    if (this.#positions.has(p) && lastFetched >= limit) this.#positions.set(p, Math.max(this.#positions.get(p) ?? 0, limit));
    this.#pauseAtStop(p);
  }

  /**
   * A fetched batch with nothing to deliver, only transaction markers or aborted records from
   * `first` to `last` (kafkajs skips eachBatch for it): a position at its start moves past it, so
   * a bounded read whose partition ends in a marker reaches its stop offset.
   */
  passFiltered(partition: number, first: number, last: number): void {
    if (this.#positions.get(partition) !== first || !this.#deliverable()) return;
    this.#positions.set(partition, last + 1);
    this.#pauseAtStop(partition);
  }

  /** Pauses a partition that reached the stop offset of a bounded read; stops once all did. */
  #pauseAtStop(p: number): void {
    const limit = this.#settings.stopAt ? (this.#settings.stopAt.get(p) ?? 0) : Number.POSITIVE_INFINITY;
    if (this.#positions.has(p) && (this.#positions.get(p) ?? 0) >= limit) this.#driver?.pause([p]);
    if (this.#reachedStop()) void this.#shutdown();
  }

  /** Stops the subscription with an error (onBatch or a callback threw, or the consumer crashed). */
  fail(error: unknown): void {
    this.#failure ??= { error };
    void this.#shutdown();
  }

  async stop(): Promise<void> {
    await this.#shutdown();
    await this.done.catch(() => undefined);
  }

  #deliverable(): boolean {
    return this.#stopping === undefined && this.#failure === undefined && !this.#rejoining;
  }

  async #join(partitions: readonly number[]): Promise<void> {
    if (this.#stopping) return;
    const driver = this.#requireDriver();
    const { topic, options, preferCommitted } = this.#settings;
    const owned = new Set(this.#positions.keys());
    const next = new Set(partitions);
    const revoked = [...owned].filter((p) => !next.has(p)).sort((a, b) => a - b);
    const gained = [...next].filter((p) => !owned.has(p)).sort((a, b) => a - b);
    for (const p of revoked) this.#positions.delete(p);
    if (revoked.length > 0) await options.onRevoked?.(revoked);
    // Kept partitions: kafkajs restarts them at the committed offset (nothing without a group).
    for (const [p, at] of this.#positions) driver.seek(p, at);
    if (gained.length > 0) {
      const sought = (await options.onAssigned?.(gained)) ?? undefined;
      const bounds = await driver.bounds(gained);
      for (const p of gained) {
        const b = bounds.get(p);
        if (!b) throw new LkError(`${topic} has no partition ${p} although the group assigned it: the topic changed while consuming; restart the consumer`);
        const wanted = sought?.get(p);
        const at = wanted !== undefined ? checkSoughtOffset(topic, p, wanted, b) : startOffset(options.from, p, b, preferCommitted);
        this.#positions.set(p, at);
        driver.seek(p, at);
      }
    }
    const stopAt = this.#settings.stopAt;
    if (stopAt) driver.pause([...this.#positions].filter(([p, at]) => at >= (stopAt.get(p) ?? 0)).map(([p]) => p));
    if (!this.#joined) {
      this.#joined = true;
      this.#settleReady.resolve();
    }
    if (this.#reachedStop()) void this.#shutdown();
  }

  /** Whether stopAtEnd applies and every owned partition reached the end offset it had at start. */
  #reachedStop(): boolean {
    const stopAt = this.#settings.stopAt;
    if (!stopAt || !this.#joined) return false;
    for (const [p, at] of this.#positions) if (at < (stopAt.get(p) ?? 0)) return false;
    return true;
  }

  /** Stops once: the consumer first (no batch in flight after), then onRevoked, then `done`. */
  #shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      try {
        await this.#driver?.disconnect();
      } catch (err) {
        this.#failure ??= { error: err };
      }
      // A join still being handled must not assign partitions after they were released.
      await this.#joins;
      const released = this.assigned;
      this.#positions.clear();
      if (released.length > 0) {
        try {
          await this.#settings.options.onRevoked?.(released);
        } catch (err) {
          this.#failure ??= { error: err };
        }
      }
      if (this.#failure) {
        this.#settleReady.reject(this.#failure.error);
        this.#settle.reject(this.#failure.error);
      } else {
        this.#settleReady.resolve();
        this.#settle.resolve();
      }
    })();
    return this.#stopping;
  }

  #requireDriver(): SubscriptionDriver {
    if (!this.#driver) throw new LkError('KafkaSubscription used before attach(): the adapter must attach the consumer before running it');
    return this.#driver;
  }
}
