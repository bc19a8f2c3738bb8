/**
 * The event log on Apache Kafka, through kafkajs: the only file that imports kafkajs.
 *
 * kafkajs is in maintenance mode (2.2.4, early 2023, is its last release). Moving off it touches
 * this folder only, since callers see the EventLog port: a replacement needs a producer with
 * Kafka's murmur2 partitioner, admin offset and group calls, and a consumer this file can drive
 * as it drives kafkajs (seek, pause, per-batch commit, heartbeats). Candidates are
 * @confluentinc/kafka-javascript (librdkafka; it ships a KafkaJS-compatible API, so mostly this
 * file changes, but it downloads a native binary in an install script, which the project must
 * approve first) and pure-JS clients such as @platformatic/kafka. With a client that has real
 * rebalance callbacks and admin offset commits, kafka-subscription.ts' GROUP_JOIN diffing and
 * `#commitAsOutsider` below become plain calls.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel as KafkaJsLogLevel, Partitioners, type Admin, type Message, type Producer } from 'kafkajs';
import { BadRequestError, ConfigError, LkError, NotFoundError } from '../../shared/errors.ts';
import { encodeByteText } from '../../shared/model/byte-text.ts';
import type { DerivedOutput, DerivedWriter } from '../../shared/ports/derived-writer.ts';
import type { AppendRecord, ConsumeOptions, EventLog, PartitionOffsets, StartPosition, Subscription } from '../../shared/ports/event-log.ts';
import { appendChunks } from './append-chunks.ts';
import { fromKafkaError } from './from-kafka-error.ts';
import { KafkaDerivedWriter, type DerivedTransaction, type TransactionalProducer } from './kafka-derived-writer.ts';
import { KafkaSubscription } from './kafka-subscription.ts';
import { silenceKafkajsNegativeTimeouts } from './negative-timeout-warning.ts';
import { quietLogCreator } from './quiet-log-creator.ts';
import { startOffset, type PartitionBounds } from './start-offset.ts';

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

export interface KafkaLogOptions {
  /** Bootstrap brokers, host:port. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** kafkajs' own logging (to the console); 'error' by default. */
  readonly logLevel?: KafkaLogLevel;
  /**
   * Consumer-group session timeout (default 10 s): how long a member that stopped heartbeating
   * (crashed) keeps its partitions. Must lie within the broker's group.min/max.session.timeout.ms.
   */
  readonly sessionTimeoutMs?: number;
}

const LOG_LEVELS: Readonly<Record<KafkaLogLevel, KafkaJsLogLevel>> = {
  nothing: KafkaJsLogLevel.NOTHING,
  error: KafkaJsLogLevel.ERROR,
  warn: KafkaJsLogLevel.WARN,
  info: KafkaJsLogLevel.INFO,
  debug: KafkaJsLogLevel.DEBUG,
};

/**
 * Longest a fetch waits on the broker for records. kafkajs' 5 s default is the latency floor of an
 * idle consumer, which would break a 1 s freshness target; 50 ms costs ~20 cheap fetches a second.
 */
const MAX_WAIT_MS = 50;
/** Within the broker's default group.min.session.timeout.ms (6 s), short enough to notice a dead member soon. */
const SESSION_TIMEOUT_MS = 10_000;
/**
 * kafkajs notices a rebalance only on a heartbeat, so this bounds how long a joining member waits
 * for the others; a shorter session timeout gets a third of it (Kafka's rule of thumb).
 */
const HEARTBEAT_INTERVAL_MS = 500;
const REBALANCE_TIMEOUT_MS = 30_000;
/** How long a consumer keeps retrying retriable failures before its first assignment. */
const FIRST_JOIN_RETRY_MS = 30_000;
/** A commit from outside a group waits this much longer than a session timeout for its members to go. */
const OUTSIDER_WAIT_MARGIN_MS = 5_000;
const OUTSIDER_POLL_MS = 250;
/** How long closing a derived writer waits for its last transaction's markers (written after the commit returns). */
const VISIBLE_WAIT_MS = 10_000;
const VISIBLE_POLL_MS = 20;
/** Largest partition count ensureTopic accepts, as the embedded log. */
const MAX_PARTITIONS = 10_000;

/**
 * The EventLog port on Kafka. Records are produced with acks=all and kafkajs' DefaultPartitioner
 * (the Java client's murmur2), so a key lands on the same partition as in the embedded log, and
 * with one request in flight, so a retry cannot reorder a key's records, by an idempotent
 * producer, so a retry cannot repeat them either. Consumers are described
 * in kafka-subscription.ts. Appending to a missing topic creates it where the broker allows it
 * (auto.create.topics.enable), as the embedded log does.
 */
export class KafkaLog implements EventLog {
  readonly #kafka: Kafka;
  readonly #admin: Admin;
  readonly #brokers: readonly string[];
  readonly #clientId: string;
  readonly #sessionTimeoutMs: number;
  readonly #heartbeatIntervalMs: number;
  #producer: Promise<Producer> | undefined;
  readonly #knownTopics = new Set<string>();
  readonly #subscriptions = new Set<KafkaSubscription>();
  readonly #writers = new Set<KafkaDerivedWriter>();
  #closed = false;

  private constructor(kafka: Kafka, admin: Admin, options: KafkaLogOptions) {
    this.#kafka = kafka;
    this.#admin = admin;
    this.#brokers = [...options.brokers];
    this.#clientId = options.clientId;
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS;
    this.#heartbeatIntervalMs = Math.min(HEARTBEAT_INTERVAL_MS, Math.floor(this.#sessionTimeoutMs / 3));
  }

  /** Connects to the cluster; throws ServiceUnavailableError (saying what to check) when no broker answers. */
  static async connect(options: KafkaLogOptions): Promise<KafkaLog> {
    if (options.brokers.length === 0) throw new ConfigError('no Kafka brokers given: set KAFKA_BROKERS (host:port,...) or run with the embedded log (LK_LOG=embedded)');
    if (options.clientId === '') throw new ConfigError('the Kafka client id is empty: set KAFKA_CLIENT_ID');
    const session = options.sessionTimeoutMs;
    if (session !== undefined && !(Number.isInteger(session) && session >= 1_000)) {
      throw new ConfigError(`the Kafka session timeout ${session} ms must be a whole number of at least 1000: set KAFKA_SESSION_TIMEOUT_MS`);
    }
    silenceKafkajsNegativeTimeouts();
    const kafka = new Kafka({
      brokers: [...options.brokers],
      clientId: options.clientId,
      logLevel: LOG_LEVELS[options.logLevel ?? 'error'],
      logCreator: quietLogCreator(),
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      // A request, not just a socket: something that accepts connections but is no Kafka fails here.
      await admin.describeCluster();
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      throw fromKafkaError(err, { brokers: options.brokers, action: 'connect' });
    }
    return new KafkaLog(kafka, admin, options);
  }

  async ensureTopic(topic: string, partitions: number): Promise<number> {
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new BadRequestError('partitions', `${partitions} must be a whole number from 1 to ${MAX_PARTITIONS}`);
    }
    await this.#call(`create topic "${topic}"`, topic, async () => {
      // false (not an error) when it exists: creating is idempotent, whatever its partition count.
      await this.#admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    });
    this.#knownTopics.add(topic);
    return this.partitionCount(topic);
  }

  async append(topic: string, records: readonly AppendRecord[]): Promise<void> {
    this.#checkOpen();
    if (records.length === 0) return;
    for (const r of records) {
      if (r.timestamp !== undefined && !(Number.isSafeInteger(r.timestamp) && r.timestamp >= 0)) {
        throw new BadRequestError('timestamp', `${r.timestamp} must be epoch milliseconds (a whole number >= 0)`);
      }
    }
    await this.#call(`append to "${topic}"`, topic, async () => {
      const pending = this.#producerReady();
      const producer = await pending;
      try {
        // One chunk at a time: chunks of one append stay in order.
        for (const chunk of appendChunks(records)) await producer.send({ topic, acks: -1, messages: chunk.map(toMessage) });
      } catch (err) {
        // A send given up on may leave the producer's sequence numbers ahead of the broker's: start the next append with a new producer id.
        if (this.#producer === pending) this.#producer = undefined;
        void producer.disconnect().catch(() => undefined);
        throw err;
      }
    });
    this.#knownTopics.add(topic);
  }

  async partitionCount(topic: string): Promise<number> {
    return this.#call(`read the partitions of "${topic}"`, topic, async () => {
      await this.#requireTopic(topic);
      const { topics } = await this.#admin.fetchTopicMetadata({ topics: [topic] });
      return topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    });
  }

  async beginningOffsets(topic: string): Promise<PartitionOffsets> {
    return new Map([...(await this.#watermarks(topic))].map(([p, w]) => [p, w.low]));
  }

  async endOffsets(topic: string): Promise<PartitionOffsets> {
    return new Map([...(await this.#watermarks(topic))].map(([p, w]) => [p, w.high]));
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffsets> {
    return this.#call(`look up offsets by time in "${topic}"`, topic, async () => {
      await this.#requireTopic(topic);
      // kafkajs already turns Kafka's "none at or after" (-1) into the end offset, as the port wants.
      const rows = await this.#admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
      return new Map(rows.map((r) => [r.partition, Number(r.offset)]));
    });
  }

  async committedOffsets(topic: string, groupId: string): Promise<PartitionOffsets> {
    return this.#call(`read the offsets group "${groupId}" committed on "${topic}"`, topic, async () => {
      if (!(await this.#topicExists(topic))) return new Map();
      const rows = await this.#admin.fetchOffsets({ groupId, topics: [topic] });
      const parts = rows.find((r) => r.topic === topic)?.partitions ?? [];
      // Kafka answers -1 for "nothing committed".
      return new Map(parts.filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, Number(p.offset)]));
    });
  }

  async commitOffsets(topic: string, groupId: string, offsets: PartitionOffsets): Promise<void> {
    await this.#call(`commit offsets of group "${groupId}" on "${topic}"`, topic, async () => {
      const partitions = await this.partitionCount(topic);
      for (const [p, o] of offsets) {
        if (!Number.isInteger(p) || p < 0 || p >= partitions) throw new BadRequestError('partition', `${topic} has no partition ${p} (it has ${partitions})`);
        if (!Number.isSafeInteger(o) || o < 0) throw new BadRequestError('offset', `${o} for partition ${p} must be a whole number >= 0`);
      }
      if (offsets.size > 0 && !(await this.#commitWhenGroupEmpty(topic, groupId, offsets))) {
        throw new LkError(
          `consumer group "${groupId}" has had live members for ${Math.round(this.#outsiderWaitMs() / 1000)} s and Kafka only takes their commits: stop its consumers before committing offsets from outside`,
        );
      }
    });
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    const { topic } = options;
    if (options.groupId === '') throw new BadRequestError('groupId', 'must not be empty: omit it to read every partition without a group');
    return this.#call(`consume "${topic}"`, topic, async () => {
      await this.#requireTopic(topic);
      const group = options.groupId;
      const stopAt = options.stopAtEnd ? await this.endOffsets(topic) : undefined;
      if (group !== undefined && options.from.kind !== 'committed') await this.#claimGroupStart(topic, group, options.from);
      const sub = new KafkaSubscription({ topic, options, stopAt, preferCommitted: group !== undefined, heartbeatIntervalMs: this.#heartbeatIntervalMs });
      await this.#run(sub, options, group);
      this.#subscriptions.add(sub);
      void sub.done.catch(() => undefined).finally(() => this.#subscriptions.delete(sub));
      return sub;
    });
  }

  async openDerivedWriter(output: DerivedOutput): Promise<DerivedWriter> {
    const { sourceTopic, sourcePartition, topics } = output;
    const what = `write ${topics.join(' and ')} for partition ${sourcePartition} of "${sourceTopic}"`;
    for (const t of topics) await this.#call(what, t, () => this.#requireTopic(t));
    // Both derived from the output, so every writer of it, in any process, shares them.
    const id = `lk-derived:${topics.join(',')}`;
    const transactionalId = `${id}:${sourceTopic}:${sourcePartition}`;
    const writer = await KafkaDerivedWriter.open(output, {
      producer: () => this.#transactionalProducer(transactionalId, id, { topic: sourceTopic, partition: sourcePartition }),
      committedNext: async () => {
        const rows = await this.#admin.fetchOffsets({ groupId: id, topics: [sourceTopic] });
        const offset = Number(rows.find((r) => r.topic === sourceTopic)?.partitions.find((x) => x.partition === sourcePartition)?.offset ?? -1);
        return offset >= 0 ? offset : undefined;
      },
      visible: (lastOffsets) => this.#untilVisible(sourcePartition, lastOffsets),
      mapError: (err) => fromKafkaError(err, { brokers: this.#brokers, action: what }),
    });
    this.#writers.add(writer);
    return {
      append: (records) => writer.append(records),
      close: async () => {
        this.#writers.delete(writer);
        await writer.close();
      },
    };
  }

  /** Stops every consumer and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    await Promise.all([...this.#writers].map((w) => w.close()));
    const producer = await this.#producer?.catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await this.#admin.disconnect().catch(() => undefined);
  }

  /** Creates the kafkajs consumer behind `sub` and runs it until its first assignment was handled. */
  async #run(sub: KafkaSubscription, options: ConsumeOptions, group: string | undefined): Promise<void> {
    const { topic } = options;
    // kafkajs consumers always belong to a group; without one, a throwaway group that never commits.
    const groupId = group ?? `${this.#clientId}-reader-${randomUUID()}`;
    const joinDeadline = Date.now() + FIRST_JOIN_RETRY_MS;
    const consumer = this.#kafka.consumer({
      groupId,
      maxWaitTimeInMs: MAX_WAIT_MS,
      sessionTimeout: this.#sessionTimeoutMs,
      heartbeatInterval: this.#heartbeatIntervalMs,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      allowAutoTopicCreation: false,
      // kafkajs restarts a consumer that crashed on a retriable error (a coordinator still loading
      // the group offsets, a broker restarting). Until the first join that is bounded, so consume()
      // rejects rather than waiting for a broker forever.
      retry: { restartOnFailure: async () => sub.joined || Date.now() < joinDeadline },
    });
    let running: Promise<void> = Promise.resolve();
    sub.attach({
      bounds: (partitions) => this.#bounds(topic, partitions, group, options.from),
      seek: (partition, offset) => consumer.seek({ topic, partition, offset: String(offset) }),
      pause: (partitions) => {
        if (partitions.length > 0) consumer.pause([{ topic, partitions: [...partitions] }]);
      },
      disconnect: async () => {
        // Stopping a kafkajs consumer whose run() has not finished starting is a no-op; wait for it.
        await running.catch(() => undefined);
        await consumer.disconnect();
        if (group === undefined) await this.#admin.deleteGroups([groupId]).catch(() => undefined);
      },
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => sub.join(e.payload.memberAssignment[topic] ?? []));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) sub.fail(fromKafkaError(e.payload.error, { brokers: this.#brokers, action: `consume "${topic}"`, topic }));
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const b = e.payload;
      if (b.batchSize === 0 && b.firstOffset !== null) sub.passFiltered(b.partition, Number(b.firstOffset), Number(b.lastOffset));
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      running = consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) =>
          sub.handleBatch(payload.batch, {
            heartbeat: () => payload.heartbeat(),
            isStale: () => payload.isStale(),
            resolveOffset: (offset) => payload.resolveOffset(offset),
            commit: async (next) => {
              if (group === undefined) return;
              await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: payload.batch.partition, offset: String(next) }] }] });
            },
          }),
      });
      await running;
      await sub.ready;
    } catch (err) {
      sub.fail(err);
      await sub.stop();
      throw err;
    }
  }

  /**
   * For a group reading from an explicit position: if no member is live, commit that position for
   * every partition first, so members that join later (or take partitions over) continue where
   * the group is instead of starting over. A live group is joined as it is.
   */
  async #claimGroupStart(topic: string, groupId: string, from: StartPosition): Promise<void> {
    if (await this.#groupIsLive(groupId)) return;
    const partitions = [...(await this.#watermarks(topic)).keys()];
    const bounds = await this.#bounds(topic, partitions, undefined, from);
    const offsets = new Map(partitions.map((p) => [p, startOffset(from, p, bounds.get(p)!, false)]));
    // false: a member joined meanwhile and already positioned the group; join it as it is.
    await this.#commitAsOutsider(topic, groupId, offsets);
  }

  /**
   * Commits from outside the group once it has no live member, waiting up to a session timeout
   * (plus a margin) for one to go: a process killed while committing from outside (lk archive
   * SIGKILLed at its commit) stays a member until its session expires, and the next run must not
   * fail on it. A group whose members stay (a running consumer) still fails, after the wait.
   */
  async #commitWhenGroupEmpty(topic: string, groupId: string, offsets: PartitionOffsets): Promise<boolean> {
    const deadline = Date.now() + this.#outsiderWaitMs();
    for (;;) {
      if (await this.#commitAsOutsider(topic, groupId, offsets)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, OUTSIDER_POLL_MS));
    }
  }

  /** How long a commit from outside waits for a group's members to go: a session timeout and a margin. */
  #outsiderWaitMs(): number {
    return this.#sessionTimeoutMs + OUTSIDER_WAIT_MARGIN_MS;
  }

  /**
   * Commits offsets for a group from outside it. Kafka takes such commits only while the group has
   * no live member; kafkajs has no admin call for it but `setOffsets`, which waits out a 5 s fetch,
   * so this joins as a short-lived member with a 50 ms fetch wait: its seeks commit, then it
   * leaves. The result is read back, since kafkajs drops a seek it cannot apply without a word.
   * On a broker with the default group.initial.rebalance.delay.ms this takes ~3 s. Returns false,
   * committing nothing, when the group has live members.
   */
  async #commitAsOutsider(topic: string, groupId: string, offsets: PartitionOffsets): Promise<boolean> {
    if (await this.#groupIsLive(groupId)) return false;
    const deadline = Date.now() + FIRST_JOIN_RETRY_MS;
    const consumer = this.#kafka.consumer({
      groupId,
      maxWaitTimeInMs: MAX_WAIT_MS,
      // Its session is the one a crash here leaves behind (kafkajs' default is 30 s).
      sessionTimeout: this.#sessionTimeoutMs,
      heartbeatInterval: this.#heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => Date.now() < deadline },
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic });
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.FETCH, () => resolve());
        consumer.on(consumer.events.CRASH, (e) => {
          if (!e.payload.restart) reject(e.payload.error);
        });
        consumer.run({ autoCommit: true, eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(reject);
        // Synchronously after run(): the group object exists, nothing was fetched yet.
        consumer.pause([{ topic }]);
        for (const [partition, offset] of offsets) consumer.seek({ topic, partition, offset: String(offset) });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    const committed = await this.committedOffsets(topic, groupId);
    const missed = [...offsets].filter(([p, o]) => committed.get(p) !== o);
    if (missed.length > 0) {
      throw new LkError(`committing offsets of group "${groupId}" on "${topic}" did not take for partitions ${missed.map(([p]) => p).join(', ')}: a member probably joined meanwhile; stop the group's consumers and retry`);
    }
    return true;
  }

  async #groupIsLive(groupId: string): Promise<boolean> {
    const { groups } = await this.#admin.describeGroups([groupId]);
    return groups.some((g) => g.members.length > 0);
  }

  /** Low and high watermarks by partition. */
  async #watermarks(topic: string): Promise<Map<number, { low: number; high: number }>> {
    return this.#call(`read the offsets of "${topic}"`, topic, async () => {
      await this.#requireTopic(topic);
      const rows = await this.#admin.fetchTopicOffsets(topic);
      return new Map(rows.map((r) => [r.partition, { low: Number(r.low), high: Number(r.high) }]));
    });
  }

  /** What a consumer needs to position itself in these partitions. */
  async #bounds(topic: string, partitions: readonly number[], groupId: string | undefined, from: StartPosition): Promise<Map<number, PartitionBounds>> {
    const [marks, committed, atTimestamp] = await Promise.all([
      this.#watermarks(topic),
      groupId === undefined ? undefined : this.committedOffsets(topic, groupId),
      from.kind === 'timestamp' ? this.offsetsForTimestamp(topic, from.timestamp) : undefined,
    ]);
    const out = new Map<number, PartitionBounds>();
    for (const p of partitions) {
      const m = marks.get(p);
      if (m) out.set(p, { ...m, committed: committed?.get(p), atTimestamp: atTimestamp?.get(p) });
    }
    return out;
  }

  #producerReady(): Promise<Producer> {
    if (!this.#producer) {
      const pending = (async () => {
        const producer = this.#kafka.producer({
          createPartitioner: Partitioners.DefaultPartitioner,
          allowAutoTopicCreation: true,
          maxInFlightRequests: 1,
          // A retried send whose first attempt was written (e.g. answered "not the leader" during a
          // leader change right after topic creation) would append the batch twice; the broker drops
          // an idempotent producer's repeat. Retries as without idempotence, so an unreachable
          // broker still fails the append instead of retrying it for ever.
          idempotent: true,
          retry: { retries: 5 },
        });
        await producer.connect();
        return producer;
      })();
      this.#producer = pending;
      // A failed connect is not kept: the next append tries again.
      pending.catch(() => {
        if (this.#producer === pending) this.#producer = undefined;
      });
    }
    return this.#producer;
  }

  /**
   * A transactional producer (one per derived writer): `fence` registers the id, fencing earlier
   * producers with it; `send` puts records and the writer group's offset in one transaction. Retries
   * as the plain producer, so an unreachable broker fails the append (the writer then starts over).
   */
  #transactionalProducer(transactionalId: string, groupId: string, source: { readonly topic: string; readonly partition: number }): TransactionalProducer {
    const producer = this.#kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5 } });
    let connected: Promise<void> | undefined;
    return {
      fence: async () => {
        await (connected ??= producer.connect());
        // kafkajs registers the id (InitProducerId) at its first transaction: an empty one, ended at once.
        const txn = await producer.transaction();
        await txn.abort();
      },
      send: async ({ records, next }: DerivedTransaction) => {
        const txn = await producer.transaction();
        const last = new Map<string, number>();
        try {
          // One request per round for every topic (the k-th chunk of each): usually one round.
          const chunked = records.map(({ topic, partition, records: rs }) => ({ topic, partition, chunks: appendChunks(rs) }));
          for (let k = 0; chunked.some((t) => k < t.chunks.length); k++) {
            const round = chunked.filter((t) => k < t.chunks.length).map((t) => ({ topic: t.topic, chunk: t.chunks[k], messages: t.chunks[k].map((r) => ({ ...toMessage(r), partition: t.partition })) }));
            const sent = await txn.sendBatch({ acks: -1, topicMessages: round.map(({ topic, messages }) => ({ topic, messages })) });
            for (const { topic, chunk } of round) {
              const meta = sent.find((m) => m.topicName === topic);
              if (meta?.baseOffset !== undefined) last.set(topic, Number(meta.baseOffset) + chunk.length - 1);
            }
          }
          await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: source.topic, partitions: [{ partition: source.partition, offset: String(next) }] }] });
          await txn.commit();
        } catch (err) {
          if (txn.isActive()) await txn.abort().catch(() => undefined);
          throw err;
        }
        return last;
      },
      disconnect: () => producer.disconnect(),
    };
  }

  /**
   * Polls until the end offsets readers see (the last stable offset: kafkajs' admin lists offsets
   * read-committed) pass these offsets of `partition`, for up to VISIBLE_WAIT_MS.
   */
  async #untilVisible(partition: number, lastOffsets: ReadonlyMap<string, number>): Promise<void> {
    // Visibility only (the records are committed): a broker gone meanwhile does not fail the close.
    await this.#pollVisible(partition, lastOffsets).catch(() => undefined);
  }

  async #pollVisible(partition: number, lastOffsets: ReadonlyMap<string, number>): Promise<void> {
    const deadline = Date.now() + VISIBLE_WAIT_MS;
    // The admin directly: writers close while this log closes too.
    const end = async (topic: string) => Number((await this.#admin.fetchTopicOffsets(topic)).find((r) => r.partition === partition)?.high ?? 0);
    for (const [topic, last] of lastOffsets) {
      while ((await end(topic)) <= last) {
        if (Date.now() >= deadline) return;
        await new Promise((r) => setTimeout(r, VISIBLE_POLL_MS));
      }
    }
  }

  async #topicExists(topic: string): Promise<boolean> {
    if (this.#knownTopics.has(topic)) return true;
    // Listed first: asking kafkajs about a missing topic adds it to the metadata it refreshes,
    // after which every later call fails on it.
    if (!(await this.#admin.listTopics()).includes(topic)) return false;
    this.#knownTopics.add(topic);
    return true;
  }

  async #requireTopic(topic: string): Promise<void> {
    if (!(await this.#topicExists(topic))) {
      throw new NotFoundError(`topic "${topic}" does not exist on Kafka at ${this.#brokers.join(',')}: create it first (ensureTopic, or lk ingest creates the events topic)`);
    }
  }

  async #call<T>(action: string, topic: string | undefined, fn: () => Promise<T>): Promise<T> {
    this.#checkOpen();
    try {
      return await fn();
    } catch (err) {
      throw fromKafkaError(err, { brokers: this.#brokers, action, topic });
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new LkError('this KafkaLog is closed: connect a new one with KafkaLog.connect(...)');
  }
}

/** The record as kafkajs sends it: text as the bytes it was decoded from (byte-text.ts), so a dead letter keeps a record's original bytes. */
function toMessage(r: AppendRecord): Message {
  let headers: Record<string, Buffer> | undefined;
  if (r.headers !== undefined) {
    headers = {};
    for (const [name, v] of Object.entries(r.headers)) headers[name] = encodeByteText(v);
  }
  return {
    key: r.key === null ? null : encodeByteText(r.key),
    value: encodeByteText(r.value),
    timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
    headers,
  };
}
