import { open, truncate, type FileHandle } from 'node:fs/promises';
import { LkError } from '../../shared/errors.ts';
import { decodeByteText } from '../../shared/model/byte-text.ts';
import type { AppendRecord, LogHeaders, LogRecord } from '../../shared/ports/event-log.ts';

const NO_HEADERS: LogHeaders = Object.freeze({});
/** Read size when loading or tailing; doubled for a line longer than this. */
const CHUNK_BYTES = 8 << 20;

/** One line of a partition file. */
interface StoredRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: LogHeaders;
}

/**
 * One partition of an embedded topic: `<partition>.jsonl`, one record per line, and its records in
 * memory (column arrays, so a million records cost little more than their strings). The file only
 * grows; `catchUp` reads complete lines other processes appended, `append` writes whole lines in
 * one write. The offset of a record is its line number: offsets are dense from 0 and never reused.
 */
export class PartitionFile {
  readonly topic: string;
  readonly partition: number;
  readonly path: string;
  readonly #timestamps: number[] = [];
  readonly #keys: Array<string | null> = [];
  readonly #values: string[] = [];
  readonly #headers: Array<LogHeaders | undefined> = [];
  /** Bytes of the file whose (complete) lines are in memory; a torn last line stays beyond it. */
  #bytes = 0;
  #reader: FileHandle | undefined;
  #writer: FileHandle | undefined;
  #reading: Promise<unknown> = Promise.resolve();

  constructor(topic: string, partition: number, path: string) {
    this.topic = topic;
    this.partition = partition;
    this.path = path;
  }

  /** The offset the next record will get. */
  get endOffset(): number {
    return this.#values.length;
  }

  /** Reads the complete lines appended to the file since the last read; returns how many records arrived. */
  catchUp(): Promise<number> {
    // Two reads of the same bytes at once would add their records twice.
    const run = this.#reading.then(() => this.#readNewLines());
    this.#reading = run.catch(() => 0);
    return run;
  }

  async #readNewLines(): Promise<number> {
    if (!this.#reader) {
      try {
        this.#reader = await open(this.path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw err;
      }
    }
    const fh = this.#reader;
    const { size } = await fh.stat();
    if (size < this.#bytes) {
      throw new LkError(`${this.path} shrank from ${this.#bytes} to ${size} bytes while open: a log file must only grow; restore it or restart every process using this log`);
    }
    const before = this.#values.length;
    let chunk = CHUNK_BYTES;
    while (this.#bytes < size) {
      const want = Math.min(chunk, size - this.#bytes);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, this.#bytes);
      const lastNewline = bytesRead > 0 ? buf.lastIndexOf(10, bytesRead - 1) : -1;
      if (lastNewline < 0) {
        // Either a writer is halfway through a line (wait for the rest) or one line exceeds the chunk.
        if (want < chunk || bytesRead < want) break;
        chunk *= 2;
        continue;
      }
      // Lossless (byte-text.ts): bytes put in the file by hand that are not UTF-8 stay detectable.
      this.#parse(decodeByteText(buf, 0, lastNewline));
      this.#bytes += lastNewline + 1;
    }
    return this.#values.length - before;
  }

  /**
   * Makes the file ready for this process to append: reads what others wrote and cuts a torn last
   * line (a writer that crashed mid-write), so the next line starts clean. Call with the topic's
   * writer lock held.
   */
  async prepareForAppend(): Promise<void> {
    await this.catchUp();
    const fh = await this.#writeHandle();
    const { size } = await fh.stat();
    if (size > this.#bytes) await truncate(this.path, this.#bytes);
  }

  /** Appends records (already chosen for this partition) in one write; resolves once written. */
  async append(records: readonly AppendRecord[], now: number): Promise<void> {
    if (records.length === 0) return;
    const base = this.#values.length;
    const lines: string[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) lines[i] = encodeLine(base + i, records[i], now);
    lines.push('');
    const buf = Buffer.from(lines.join('\n'), 'utf8');
    const fh = await this.#writeHandle();
    try {
      let written = 0;
      while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
    } catch (err) {
      // Whatever whole lines made it to disk are records now; drop a torn tail so offsets stay dense.
      await this.prepareForAppend().catch(() => undefined);
      throw err;
    }
    for (const r of records) {
      this.#timestamps.push(r.timestamp ?? now);
      this.#keys.push(r.key);
      this.#values.push(r.value);
      this.#headers.push(r.headers && Object.keys(r.headers).length > 0 ? r.headers : undefined);
    }
    this.#bytes += buf.length;
  }

  /** Up to `max` records from offset `from`. */
  read(from: number, max: number): LogRecord[] {
    const end = Math.min(this.#values.length, from + max);
    const out: LogRecord[] = [];
    for (let o = from; o < end; o++) {
      out.push({
        topic: this.topic,
        partition: this.partition,
        offset: o,
        timestamp: this.#timestamps[o],
        key: this.#keys[o],
        value: this.#values[o],
        headers: this.#headers[o] ?? NO_HEADERS,
      });
    }
    return out;
  }

  /** The first offset whose timestamp is at or after `timestamp` (Kafka's offsetsForTimes); the end offset when none. */
  offsetForTimestamp(timestamp: number): number {
    const ts = this.#timestamps;
    // Linear: producer timestamps need not be monotonic, so there is no order to bisect.
    for (let o = 0; o < ts.length; o++) if (ts[o] >= timestamp) return o;
    return ts.length;
  }

  async close(): Promise<void> {
    const handles = [this.#reader, this.#writer];
    this.#reader = undefined;
    this.#writer = undefined;
    for (const fh of handles) await fh?.close().catch(() => undefined);
  }

  async #writeHandle(): Promise<FileHandle> {
    this.#writer ??= await open(this.path, 'a');
    return this.#writer;
  }

  #parse(text: string): void {
    for (const line of text.split('\n')) {
      let r: StoredRecord;
      try {
        r = JSON.parse(line) as StoredRecord;
      } catch (err) {
        throw new LkError(`${this.path}: line for offset ${this.#values.length} is not JSON; the file is damaged: restore it, or move the topic directory away to start empty`, { cause: err });
      }
      if (r.offset !== this.#values.length || typeof r.value !== 'string' || typeof r.timestamp !== 'number') {
        throw new LkError(`${this.path}: expected a record with offset ${this.#values.length}, found ${line.slice(0, 120)}; the file is damaged: restore it, or move the topic directory away to start empty`);
      }
      this.#timestamps.push(r.timestamp);
      this.#keys.push(r.key ?? null);
      this.#values.push(r.value);
      this.#headers.push(r.headers && Object.keys(r.headers).length > 0 ? r.headers : undefined);
    }
  }
}

function encodeLine(offset: number, r: AppendRecord, now: number): string {
  // Hand-built rather than JSON.stringify of an object: same output, fewer allocations on the hot path.
  const key = r.key === null ? 'null' : JSON.stringify(r.key);
  return `{"offset":${offset},"timestamp":${r.timestamp ?? now},"key":${key},"value":${JSON.stringify(r.value)},"headers":${JSON.stringify(r.headers ?? {})}}`;
}
