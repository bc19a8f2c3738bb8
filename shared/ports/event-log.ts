/**
 * The event log port: the subset of Kafka's semantics the platform uses, in its own types.
 * Adapters: infra/embedded/embedded-log.ts (files on disk), infra/kafka/kafka-log.ts (kafkajs).
 *
 * Contract (what Kafka gives and runners rely on):
 * - a topic has a fixed number of partitions; a record's partition is chosen by hashing its key,
 *   so records of one key keep their order;
 * - offsets are per partition, increasing from the partition's earliest retained offset, and never
 *   reused; dense, except in topics derived writers write (Kafka's transaction markers take offsets);
 * - every record has a timestamp (append time unless the producer set one);
 * - a consumer group has committed offsets per partition: "the next offset to read";
 * - readers see only committed records of derived writers (derived-writer.ts), never an aborted one.
 */
import type { DerivedOutput, DerivedWriter } from './derived-writer.ts';

export interface LogHeaders {
  readonly [name: string]: string;
}

export interface AppendRecord {
  readonly key: string | null;
  readonly value: string;
  /** Producer timestamp (epoch ms); defaults to append time. */
  readonly timestamp?: number;
  readonly headers?: LogHeaders;
}

export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: LogHeaders;
}

/** Offsets by partition. */
export type PartitionOffsets = ReadonlyMap<number, number>;

/** Where a consumer starts in each partition. */
export type StartPosition =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  /** The first record at or after this time (Kafka's offsetsForTimes); latest when none. */
  | { readonly kind: 'timestamp'; readonly timestamp: number }
  /** The group's committed offsets; `fallback` where the group has none. */
  | { readonly kind: 'committed'; readonly fallback: 'earliest' | 'latest' }
  | { readonly kind: 'offsets'; readonly offsets: PartitionOffsets; readonly fallback: 'earliest' | 'latest' };

/** A batch of records from one partition, in offset order. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly LogRecord[];
  /** The partition's end offset when the batch was fetched (lag = highWatermark - next offset). */
  readonly highWatermark: number;
}

export interface ConsumeOptions {
  readonly topic: string;
  /**
   * Consumer group. Members of one group share the partitions; the adapter commits
   * `last offset + 1` after `onBatch` resolves. Without a group, one consumer reads all partitions
   * and commits nothing.
   */
  readonly groupId?: string;
  readonly from: StartPosition;
  /** Stop once every partition reached the end offsets it had when consuming started (a bounded replay). */
  readonly stopAtEnd?: boolean;
  /** Largest batch handed to onBatch. */
  readonly maxBatchRecords?: number;
  /** Called once per batch; the next batch of that partition waits for it. A throw stops the consumer. */
  onBatch(batch: RecordBatch): Promise<void>;
  /** Partitions assigned to this member (before their first batch). Return offsets to seek them to, or nothing. */
  onAssigned?(partitions: readonly number[]): Promise<PartitionOffsets | void>;
  /** Partitions taken away (rebalance) or released (stop). */
  onRevoked?(partitions: readonly number[]): Promise<void>;
}

/** A running consumer. */
export interface Subscription {
  /** Resolves when the consumer stopped: `stopAtEnd` reached, `stop()` called, or failed (rejects). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface EventLog {
  /**
   * Creates the topic with this many partitions if it does not exist. Returns the topic's
   * partition count: an existing topic keeps its own, which may differ from `partitions`.
   */
  ensureTopic(topic: string, partitions: number): Promise<number>;
  /** Appends records; resolves once they are durable (acks). */
  append(topic: string, records: readonly AppendRecord[]): Promise<void>;
  partitionCount(topic: string): Promise<number>;
  /** Earliest retained offset of each partition. */
  beginningOffsets(topic: string): Promise<PartitionOffsets>;
  /** The offset the next appended record of each partition will get. */
  endOffsets(topic: string): Promise<PartitionOffsets>;
  /** First offset at or after `timestamp` in each partition (end offset when none). */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffsets>;
  committedOffsets(topic: string, groupId: string): Promise<PartitionOffsets>;
  commitOffsets(topic: string, groupId: string, offsets: PartitionOffsets): Promise<void>;
  consume(options: ConsumeOptions): Promise<Subscription>;
  /**
   * Opens the exactly-once writer of records derived from one source partition (derived-writer.ts):
   * fences every earlier writer of it, then learns what its topics already hold. The topics must
   * exist with at least the source's partition count.
   */
  openDerivedWriter(output: DerivedOutput): Promise<DerivedWriter>;
  close(): Promise<void>;
}

/**
 * Reads a topic from its earliest offset to the end offsets it has now, record by record in each
 * partition's order, without a consumer group (nothing is committed); nothing when the topic does
 * not exist. Returns whether it existed.
 */
export async function readTopicToEnd(log: EventLog, topic: string, onRecord: (record: LogRecord) => void): Promise<boolean> {
  const exists = await log.partitionCount(topic).then((n) => n > 0, () => false);
  if (!exists) return false;
  const sub = await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => b.records.forEach(onRecord) });
  await sub.done;
  return true;
}
