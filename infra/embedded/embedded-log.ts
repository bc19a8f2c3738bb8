import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BadRequestError, LkError, NotFoundError } from '../../shared/errors.ts';
import type { DerivedOutput, DerivedWriter } from '../../shared/ports/derived-writer.ts';
import type { AppendRecord, ConsumeOptions, EventLog, PartitionOffsets, Subscription } from '../../shared/ports/event-log.ts';
import { EmbeddedConsumer } from './embedded-consumer.ts';
import { EmbeddedDerivedWriter } from './embedded-derived-writer.ts';
import { EmbeddedTopic } from './embedded-topic.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import { GroupOffsetStore } from './group-offset-store.ts';
import { assertGroupId, assertTopicName } from './log-names.ts';
import { Murmur2Partitioner } from './murmur2-partitioner.ts';

export interface EmbeddedLogOptions {
  /** How often an idle consumer looks for records other processes appended (ms). */
  readonly pollIntervalMs?: number;
}

/** Partition count of a topic created by its first append (Kafka's broker default num.partitions). */
const AUTO_CREATED_PARTITIONS = 1;

/**
 * The embedded event log: Kafka's semantics on files, no service. Persisted under `dir`:
 * `<topic>/meta.json` (partition count), `<topic>/<partition>.jsonl` (one record per line),
 * `_groups/<group>.json` (committed offsets). It is the source of truth, so it survives restarts;
 * records are kept in memory once loaded.
 *
 * Several processes may share a directory: one writer per topic (a lock file; a second writer
 * fails naming the holder's pid) and any number of readers, which tail the files every
 * `pollIntervalMs`. Consumer groups coordinate members within one process only. Like Kafka with
 * `auto.create.topics.enable`, appending to an unknown topic creates it with one partition.
 * Appends are written to the OS (not fsynced), as a Kafka broker acks before fsync: they survive a
 * process crash, not a power cut.
 */
export class EmbeddedLog implements EventLog {
  readonly dir: string;
  readonly #pollIntervalMs: number;
  readonly #topics = new Map<string, Promise<EmbeddedTopic | undefined>>();
  readonly #partitioner = new Murmur2Partitioner();
  readonly #offsets: GroupOffsetStore;
  readonly #coordinators = new Map<string, GroupCoordinator>();
  readonly #consumers = new Set<EmbeddedConsumer>();
  /** The newest derived writer's epoch per (topic, source partition): older writers are fenced. */
  readonly #writerEpochs = new Map<string, number>();
  #closed = false;

  private constructor(dir: string, pollIntervalMs: number) {
    this.dir = dir;
    this.#pollIntervalMs = pollIntervalMs;
    this.#offsets = new GroupOffsetStore(dir);
  }

  /** Opens (creating if needed) the log in `dir`. Topics load lazily on first use. */
  static async open(dir: string, options: EmbeddedLogOptions = {}): Promise<EmbeddedLog> {
    const poll = options.pollIntervalMs ?? 20;
    if (!(poll > 0)) throw new LkError(`pollIntervalMs=${poll} must be > 0`);
    const abs = resolve(dir);
    await mkdir(abs, { recursive: true });
    return new EmbeddedLog(abs, poll);
  }

  async ensureTopic(topic: string, partitions: number): Promise<number> {
    this.#checkOpen();
    assertTopicName(topic);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
      throw new BadRequestError('partitions', `${partitions} must be a whole number from 1 to 10000`);
    }
    const existing = await this.#find(topic);
    if (existing) return existing.partitions.length;
    await EmbeddedTopic.create(this.dir, topic, partitions);
    return (await this.#require(topic)).partitions.length;
  }

  async append(topic: string, records: readonly AppendRecord[]): Promise<void> {
    this.#checkOpen();
    assertTopicName(topic);
    if (records.length === 0) return;
    let t = await this.#find(topic);
    if (!t) {
      await EmbeddedTopic.create(this.dir, topic, AUTO_CREATED_PARTITIONS);
      t = await this.#require(topic);
    }
    await t.append(records, this.#partitioner);
  }

  async partitionCount(topic: string): Promise<number> {
    return (await this.#require(topic)).partitions.length;
  }

  async beginningOffsets(topic: string): Promise<PartitionOffsets> {
    // Nothing is ever deleted from an embedded topic: every partition starts at 0.
    return new Map((await this.#require(topic)).partitions.map((p) => [p.partition, 0]));
  }

  async endOffsets(topic: string): Promise<PartitionOffsets> {
    const t = await this.#require(topic);
    await t.refresh();
    return t.endOffsets();
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffsets> {
    const t = await this.#require(topic);
    await t.refresh();
    return new Map(await Promise.all(t.partitions.map(async (p) => [p.partition, await p.offsetForTimestamp(timestamp)] as const)));
  }

  async committedOffsets(topic: string, groupId: string): Promise<PartitionOffsets> {
    this.#checkOpen();
    assertTopicName(topic);
    return this.#offsets.committed(topic, groupId);
  }

  async commitOffsets(topic: string, groupId: string, offsets: PartitionOffsets): Promise<void> {
    const t = await this.#require(topic);
    for (const p of offsets.keys()) {
      if (!t.partitions[p]) throw new BadRequestError('partition', `${topic} has no partition ${p} (it has ${t.partitions.length})`);
    }
    await this.#offsets.commit(topic, groupId, offsets);
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    const topic = await this.#require(options.topic);
    if (options.groupId !== undefined) assertGroupId(options.groupId);
    await topic.refresh();
    const coordinator = options.groupId === undefined ? undefined : this.#coordinator(options.groupId, topic);
    const consumer = await EmbeddedConsumer.start({ topic, offsets: this.#offsets, coordinator, pollIntervalMs: this.#pollIntervalMs }, options);
    this.#consumers.add(consumer);
    void consumer.done.catch(() => undefined).finally(() => this.#consumers.delete(consumer));
    return consumer;
  }

  async openDerivedWriter(output: DerivedOutput): Promise<DerivedWriter> {
    const topics = await Promise.all(output.topics.map((t) => this.#require(t)));
    return EmbeddedDerivedWriter.open(output, topics, this.#writerEpochs);
  }

  /** Stops every consumer, releases the writer locks and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#consumers].map((c) => c.stop()));
    for (const pending of this.#topics.values()) {
      const t = await pending.catch(() => undefined);
      await t?.close();
    }
    this.#topics.clear();
  }

  #coordinator(groupId: string, topic: EmbeddedTopic): GroupCoordinator {
    const id = `${groupId}\u0000${topic.name}`;
    let c = this.#coordinators.get(id);
    if (!c) this.#coordinators.set(id, (c = new GroupCoordinator(topic.partitions.length)));
    return c;
  }

  /** The topic, loading it on first use; undefined when it does not exist (yet). */
  async #find(topic: string): Promise<EmbeddedTopic | undefined> {
    this.#checkOpen();
    assertTopicName(topic);
    let pending = this.#topics.get(topic);
    if (!pending) {
      pending = EmbeddedTopic.load(this.dir, topic);
      this.#topics.set(topic, pending);
    }
    const t = await pending.catch((err: unknown) => {
      this.#topics.delete(topic);
      throw err;
    });
    // Not cached when absent: another process may create it later.
    if (!t && this.#topics.get(topic) === pending) this.#topics.delete(topic);
    return t;
  }

  async #require(topic: string): Promise<EmbeddedTopic> {
    const t = await this.#find(topic);
    if (!t) throw new NotFoundError(`topic "${topic}" does not exist in ${this.dir}: create it first (ensureTopic, or lk ingest creates the events topic)`);
    return t;
  }

  #checkOpen(): void {
    if (this.#closed) throw new LkError('this EmbeddedLog is closed: open a new one with EmbeddedLog.open(dir)');
  }
}
