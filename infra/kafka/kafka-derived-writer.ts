import { LkError, WriterFencedError } from '../../shared/errors.ts';
import { checkDerivedRecords, withSourceHeaders, type DerivedOutput, type DerivedRecord, type DerivedWriter } from '../../shared/ports/derived-writer.ts';
import type { AppendRecord } from '../../shared/ports/event-log.ts';
import { isProducerFenced } from './from-kafka-error.ts';

/** One transaction's worth of a derived writer: records per (topic, partition), and the source position it completes. */
export interface DerivedTransaction {
  readonly records: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly records: readonly AppendRecord[] }>;
  /** The next source offset not written yet, committed as the writer group's offset of the source partition. */
  readonly next: number;
}

/** A kafkajs transactional producer with the writer's transactional id, as the writer uses it (kafka-log.ts makes it). */
export interface TransactionalProducer {
  /** Connects and registers the transactional id (InitProducerId): fences earlier producers with it, aborting their open transaction. */
  fence(): Promise<void>;
  /**
   * Sends the records and the source position in one transaction and commits it; aborts it on
   * failure where it still can. Returns the offset of the last record sent, per topic.
   */
  send(txn: DerivedTransaction): Promise<Map<string, number>>;
  disconnect(): Promise<void>;
}

/** What the writer needs from kafka-log.ts. */
export interface DerivedWriterDriver {
  /** A new producer with the writer's transactional id. */
  producer(): TransactionalProducer;
  /** The writer group's committed offset of the source partition (the next source offset not written), or undefined. */
  committedNext(): Promise<number | undefined>;
  /** Resolves once read-committed readers see the records up to these offsets (of the writer's partition, per topic). */
  visible(lastOffsets: ReadonlyMap<string, number>): Promise<void>;
  /** Maps a kafkajs error to the platform's. */
  mapError(err: unknown): LkError;
}

/**
 * The derived writer on Kafka, Kafka's own exactly-once pattern (a Kafka Streams task's producer):
 * one transactional producer per source partition, whose transactional id is derived from the
 * output (source topic and partition, and the derived topics), so opening a writer fences every
 * earlier one of the same output, in any process, and aborts its open transaction. Each append is
 * one transaction holding the records of every topic and, as a transactional offset commit of a
 * group that has no members (the writer group), the next source offset not written: records and
 * position are visible together or not at all, so the position read after fencing is exactly what
 * the topics hold. A failed append (broker down) drops its producer: the next attempt fences it
 * with a new one and reads the position again, so a retry never repeats what the failed attempt
 * committed. A fenced writer stays fenced.
 */
export class KafkaDerivedWriter implements DerivedWriter {
  readonly #output: DerivedOutput;
  readonly #driver: DerivedWriterDriver;
  #producer: TransactionalProducer | undefined;
  /** The next source offset not written; undefined until learnt after (re)fencing. */
  #next: number | undefined;
  #fenced: WriterFencedError | undefined;
  /** Offset of the last record this writer committed, per topic. */
  readonly #lastOffsets = new Map<string, number>();
  #closed = false;

  private constructor(output: DerivedOutput, driver: DerivedWriterDriver) {
    this.#output = output;
    this.#driver = driver;
  }

  /** Fences the earlier writers of `output` and learns what its topics hold. */
  static async open(output: DerivedOutput, driver: DerivedWriterDriver): Promise<KafkaDerivedWriter> {
    const writer = new KafkaDerivedWriter(output, driver);
    await writer.#ready();
    return writer;
  }

  async append(records: readonly DerivedRecord[]): Promise<void> {
    checkDerivedRecords(this.#output, records);
    if (this.#closed) throw new LkError(`the writer of ${this.#output.topics.join(' and ')} for partition ${this.#output.sourcePartition} of ${this.#output.sourceTopic} is closed: open a new one`);
    const { producer, next } = await this.#ready();
    const todo = records.filter((d) => d.sourceOffset >= next);
    if (todo.length === 0) return;
    const p = this.#output.sourcePartition;
    const txn: DerivedTransaction = {
      records: this.#output.topics
        .map((topic) => ({ topic, partition: p, records: todo.filter((d) => d.topic === topic).map((d) => withSourceHeaders(this.#output, d)) }))
        .filter((t) => t.records.length > 0),
      next: Math.max(...todo.map((d) => d.sourceOffset)) + 1,
    };
    let sent: Map<string, number>;
    try {
      sent = await producer.send(txn);
    } catch (err) {
      throw await this.#failed(err);
    }
    for (const [topic, offset] of sent) this.#lastOffsets.set(topic, offset);
    this.#next = txn.next;
  }

  /**
   * Waits until the records appended are visible, then disconnects. Kafka ends a transaction
   * (EndTxn) before its markers are written, so a reader that started right after the last append
   * could miss it; a closed writer's records are all there (what "the job stopped" promises a reader).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const producer = this.#producer;
    this.#producer = undefined;
    try {
      if (this.#lastOffsets.size > 0 && !this.#fenced) await this.#driver.visible(this.#lastOffsets);
    } finally {
      await producer?.disconnect().catch(() => undefined);
    }
  }

  /** The producer and position to append with: fencing and reading again after a failure. */
  async #ready(): Promise<{ producer: TransactionalProducer; next: number }> {
    if (this.#fenced) throw this.#fenced;
    if (this.#producer && this.#next !== undefined) return { producer: this.#producer, next: this.#next };
    const producer = (this.#producer ??= this.#driver.producer());
    try {
      await producer.fence();
      // Read after fencing: no transaction of an earlier writer is open, so the position is final.
      this.#next = (await this.#driver.committedNext()) ?? 0;
    } catch (err) {
      throw await this.#failed(err);
    }
    return { producer, next: this.#next };
  }

  /** Drops the producer after a failure; the error to throw. */
  async #failed(err: unknown): Promise<LkError> {
    const producer = this.#producer;
    this.#producer = undefined;
    this.#next = undefined;
    await producer?.disconnect().catch(() => undefined);
    if (isProducerFenced(err)) return (this.#fenced = new WriterFencedError(this.#output.sourceTopic, this.#output.sourcePartition, this.#output.topics, err));
    return this.#driver.mapError(err);
  }
}
