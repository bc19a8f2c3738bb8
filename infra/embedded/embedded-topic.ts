import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadRequestError, LkError } from '../../shared/errors.ts';
import type { AppendRecord } from '../../shared/ports/event-log.ts';
import { createFileExclusive } from './atomic-write.ts';
import type { ChangeSignal } from './change-signal.ts';
import type { Murmur2Partitioner } from './murmur2-partitioner.ts';
import { PartitionFile } from './partition-file.ts';
import { TopicLock } from './topic-lock.ts';

interface TopicMeta {
  readonly partitions: number;
}

/**
 * One topic of the embedded log: `<dir>/<topic>/meta.json` (the partition count, fixed at
 * creation) and one PartitionFile per partition. This process either writes the topic (it holds
 * the writer lock from its first append until close, and its memory is the truth) or reads it
 * (it tails the files on `refresh`).
 */
export class EmbeddedTopic {
  readonly name: string;
  readonly dir: string;
  readonly partitions: readonly PartitionFile[];
  /** Consumers to wake when records arrive. */
  readonly listeners = new Set<ChangeSignal>();
  #lock: TopicLock | undefined;
  #appending: Promise<unknown> = Promise.resolve();
  #refreshing: Promise<void> | undefined;

  private constructor(name: string, dir: string, partitions: number) {
    this.name = name;
    this.dir = dir;
    this.partitions = Array.from({ length: partitions }, (_, p) => new PartitionFile(name, p, join(dir, `${p}.jsonl`)));
  }

  /** Creates the topic on disk unless it exists (another process may be creating it at the same time). */
  static async create(logDir: string, name: string, partitions: number): Promise<void> {
    const dir = join(logDir, name);
    await mkdir(dir, { recursive: true });
    // Partition files first, meta last: a topic whose meta.json exists is complete.
    for (let p = 0; p < partitions; p++) await writeFile(join(dir, `${p}.jsonl`), '', { flag: 'a' });
    await createFileExclusive(join(dir, 'meta.json'), JSON.stringify({ partitions } satisfies TopicMeta));
  }

  /** Loads an existing topic with all its records; undefined when it does not exist. */
  static async load(logDir: string, name: string): Promise<EmbeddedTopic | undefined> {
    const dir = join(logDir, name);
    let text: string;
    try {
      text = await readFile(join(dir, 'meta.json'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const meta = JSON.parse(text) as TopicMeta;
    if (!Number.isInteger(meta.partitions) || meta.partitions < 1) {
      throw new LkError(`${join(dir, 'meta.json')} has no valid partition count: fix it (e.g. {"partitions":4}) or move the topic directory away`);
    }
    const topic = new EmbeddedTopic(name, dir, meta.partitions);
    for (const p of topic.partitions) await p.catchUp();
    return topic;
  }

  /** Whether this process is the topic's writer (then there is nothing on disk it has not seen). */
  get writing(): boolean {
    return this.#lock !== undefined;
  }

  endOffsets(): Map<number, number> {
    return new Map(this.partitions.map((p) => [p.partition, p.endOffset]));
  }

  /** Appends records, partitioned by key; resolves once they are written to the files. */
  append(records: readonly AppendRecord[], partitioner: Murmur2Partitioner): Promise<void> {
    for (const r of records) validateRecord(r);
    // One append at a time per topic: offsets come from the in-memory end of each partition.
    return this.asWriter(async () => {
      const n = this.partitions.length;
      const byPartition: AppendRecord[][] = Array.from({ length: n }, () => []);
      for (const r of records) byPartition[partitioner.partition(r.key, n)].push(r);
      const now = Date.now();
      await Promise.all(byPartition.map((rs, p) => this.partitions[p].append(rs, now)));
    }).then(() => this.#notify());
  }

  /**
   * Appends records to one partition (a derived writer's: the partition is its source's, not the
   * key's). `guard` runs in turn, right before the write, after every append queued before this
   * one: a writer fenced meanwhile throws there and writes nothing.
   */
  appendTo(partition: number, records: readonly AppendRecord[], guard: () => void): Promise<void> {
    const file = this.partitions[partition];
    if (!file) return Promise.reject(new LkError(`topic "${this.name}" has no partition ${partition} (it has ${this.partitions.length}): give it at least as many partitions as its source topic`));
    for (const r of records) validateRecord(r);
    return this.asWriter(async () => {
      guard();
      await file.append(records, Date.now());
    }).then(() => this.#notify());
  }

  /**
   * Runs `fn` as this topic's writer (taking the writer lock on first use), after every append
   * queued before it and before any queued after: what it reads of the files is all there is.
   */
  asWriter<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#appending.then(async () => {
      if (!this.#lock) await this.#becomeWriter();
      return fn();
    });
    this.#appending = run.catch(() => undefined);
    return run;
  }

  /** Reads records other processes appended since the last refresh; wakes consumers when there are any. */
  refresh(): Promise<void> {
    if (this.#lock) return Promise.resolve();
    // Concurrent callers share one pass over the files.
    this.#refreshing ??= (async () => {
      try {
        let added = 0;
        for (const p of this.partitions) added += await p.catchUp();
        if (added > 0) this.#notify();
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** Releases the writer lock and closes the files. */
  async close(): Promise<void> {
    await this.#appending;
    await this.#refreshing?.catch(() => undefined);
    for (const p of this.partitions) await p.close();
    const lock = this.#lock;
    this.#lock = undefined;
    await lock?.release();
  }

  async #becomeWriter(): Promise<void> {
    const lock = await TopicLock.acquire(this.name, this.dir);
    // Set first, so no new refresh starts: from here on this process's memory is the truth.
    this.#lock = lock;
    try {
      await this.#refreshing?.catch(() => undefined);
      for (const p of this.partitions) await p.prepareForAppend();
    } catch (err) {
      this.#lock = undefined;
      await lock.release();
      throw err;
    }
  }

  #notify(): void {
    for (const l of this.listeners) l.notify();
  }
}

function validateRecord(r: AppendRecord): void {
  if (typeof r.value !== 'string') throw new BadRequestError('value', 'a record value must be a string');
  if (r.key !== null && typeof r.key !== 'string') throw new BadRequestError('key', 'a record key must be a string or null');
  if (r.timestamp !== undefined && !Number.isSafeInteger(r.timestamp)) {
    throw new BadRequestError('timestamp', `${r.timestamp} is not a timestamp: give epoch milliseconds as a whole number`);
  }
  if (r.headers) {
    for (const [k, v] of Object.entries(r.headers)) {
      if (typeof v !== 'string') throw new BadRequestError('headers', `header ${k} must be a string`);
    }
  }
}
