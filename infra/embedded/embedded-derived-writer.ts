import { LkError, WriterFencedError } from '../../shared/errors.ts';
import type { LogRecord } from '../../shared/ports/event-log.ts';
import { checkDerivedRecords, sourceOffsetOf, withSourceHeaders, type DerivedOutput, type DerivedRecord, type DerivedWriter } from '../../shared/ports/derived-writer.ts';
import type { EmbeddedTopic } from './embedded-topic.ts';
import type { PartitionFile } from './partition-file.ts';

/** Records read per step when looking back from a partition's end for the last derived record. */
const TAIL_STEP = 64;

/**
 * The derived writer of the embedded log. Fencing: across processes, the topics' writer locks
 * (taken at open: a second live process writing them fails there); within this process, an epoch
 * per (topic, source partition), raised by every open and checked inside the topic's append queue,
 * so an older writer's append queued after a newer open writes nothing. What is written is read
 * from each topic's partition end, per topic: one append to one partition is one write of whole
 * lines (a torn last line is cut when the next writer starts), so a crash leaves a prefix of
 * each topic's records and the last one names the highest source offset written there.
 */
export class EmbeddedDerivedWriter implements DerivedWriter {
  readonly #output: DerivedOutput;
  readonly #topics: readonly EmbeddedTopic[];
  readonly #epochs: Map<string, number>;
  readonly #epoch: number;
  /** Highest source offset each topic holds (-1: none); undefined until learnt, and again after a failed append. */
  #written: Map<string, number> | undefined;
  #closed = false;

  private constructor(output: DerivedOutput, topics: readonly EmbeddedTopic[], epochs: Map<string, number>, epoch: number) {
    this.#output = output;
    this.#topics = topics;
    this.#epochs = epochs;
    this.#epoch = epoch;
  }

  /** Fences the earlier writers of `output` (epochs shared by one EmbeddedLog), then learns what its topics hold. */
  static async open(output: DerivedOutput, topics: readonly EmbeddedTopic[], epochs: Map<string, number>): Promise<EmbeddedDerivedWriter> {
    const epoch = Math.max(0, ...output.topics.map((t) => epochs.get(epochKey(output, t)) ?? 0)) + 1;
    for (const t of output.topics) epochs.set(epochKey(output, t), epoch);
    const writer = new EmbeddedDerivedWriter(output, topics, epochs, epoch);
    await writer.#learn();
    return writer;
  }

  async append(records: readonly DerivedRecord[]): Promise<void> {
    checkDerivedRecords(this.#output, records);
    this.#check();
    const written = this.#written ?? (await this.#learn());
    const p = this.#output.sourcePartition;
    for (const topic of this.#topics) {
      const done = written.get(topic.name) ?? -1;
      const todo = records.filter((d) => d.topic === topic.name && d.sourceOffset > done);
      if (todo.length === 0) continue;
      try {
        await topic.appendTo(p, todo.map((d) => withSourceHeaders(this.#output, d)), () => this.#check());
      } catch (err) {
        // Some of it may be on disk: the next append looks again.
        this.#written = undefined;
        throw err;
      }
      written.set(topic.name, todo[todo.length - 1].sourceOffset);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Throws if a newer writer opened (or this one was closed). */
  #check(): void {
    if (this.#closed) throw new LkError(`the writer of ${this.#output.topics.join(' and ')} for partition ${this.#output.sourcePartition} of ${this.#output.sourceTopic} is closed: open a new one`);
    const fenced = this.#output.topics.some((t) => this.#epochs.get(epochKey(this.#output, t)) !== this.#epoch);
    if (fenced) throw new WriterFencedError(this.#output.sourceTopic, this.#output.sourcePartition, this.#output.topics);
  }

  async #learn(): Promise<Map<string, number>> {
    const written = new Map<string, number>();
    for (const topic of this.#topics) {
      const file = topic.partitions[this.#output.sourcePartition];
      // As the writer, in the append queue: every append queued before is on disk and in memory.
      written.set(topic.name, file ? await topic.asWriter(() => this.#lastSourceOffset(file)) : -1);
    }
    this.#written = written;
    return written;
  }

  /** The source offset of the last record of `file` derived from this writer's source partition; -1 when there is none. */
  async #lastSourceOffset(file: PartitionFile): Promise<number> {
    for (let end = file.endOffset; end > 0; end -= TAIL_STEP) {
      const from = Math.max(0, end - TAIL_STEP);
      const records = await readRange(file, from, end);
      for (let i = records.length - 1; i >= 0; i--) {
        const offset = sourceOffsetOf(this.#output, records[i]);
        if (offset !== undefined) return offset;
      }
    }
    return -1;
  }
}

function epochKey(output: DerivedOutput, topic: string): string {
  return `${topic}\u0000${output.sourceTopic}\u0000${output.sourcePartition}`;
}

/** Records from..end-1 of the file (one read may stop where the in-memory tail starts). */
async function readRange(file: PartitionFile, from: number, end: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let at = from; at < end; ) {
    const records = await file.read(at, end - at);
    if (records.length === 0) break;
    out.push(...records);
    at += records.length;
  }
  return out;
}
