import { open, truncate, type FileHandle } from 'node:fs/promises';
import { LkError } from '../../shared/errors.ts';
import { decodeByteText } from '../../shared/model/byte-text.ts';
import type { AppendRecord, LogHeaders, LogRecord } from '../../shared/ports/event-log.ts';

const NO_HEADERS: LogHeaders = Object.freeze({});
const NEWLINE = 0x0a;
/** Read size when loading or tailing; doubled for a line longer than this. */
const CHUNK_BYTES = 8 << 20;
/**
 * Records per index block: the file position and the latest timestamp are kept per block, not per
 * record, so a partition of any size costs a few bytes per 64 records. A read from the file starts
 * at its block and skips at most 63 lines.
 */
const BLOCK = 64;
/**
 * Characters of the newest records kept in memory (about 8 MiB at most) once this process reads
 * the partition: a consumer that keeps up with the log, in this process, reads them without
 * touching the file. Older records are read from the file (mostly the page cache) when asked for.
 * A process that only writes (lk ingest) keeps none: records that outlive a few garbage
 * collections only to be dropped would grow the heap for nothing.
 */
const TAIL_CHARS = 4 << 20;

/** One line of a partition file. */
interface StoredRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: LogHeaders;
}

/**
 * One partition of an embedded topic: `<partition>.jsonl`, one record per line. Memory stays
 * bounded whatever the file's size: a sparse index (file position and latest timestamp per block
 * of 64 records) and the newest records, up to TAIL_CHARS; older records are read back from the
 * file. The file only grows; `catchUp` reads complete lines other processes appended, `append`
 * writes whole lines in one write. The offset of a record is its line number: offsets are dense
 * from 0 and never reused.
 */
export class PartitionFile {
  readonly topic: string;
  readonly partition: number;
  readonly path: string;
  #count = 0;
  /** File position of the first line of each block. */
  readonly #blockStarts: number[] = [];
  /** Latest timestamp in each block, for offsetForTimestamp. */
  readonly #blockMaxTimestamps: number[] = [];
  /** The newest records, offsets #tailBase .. #count - 1. */
  #tail: StoredRecord[] = [];
  #tailBase = 0;
  #tailChars = 0;
  /** Whether anything in this process has read records: only then is the tail worth keeping. */
  #tailing = false;
  /** Bytes of the file whose (complete) lines are indexed; a torn last line stays beyond it. */
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
    return this.#count;
  }

  /** Reads the complete lines appended to the file since the last read; returns how many records arrived. */
  catchUp(): Promise<number> {
    // Two reads of the same bytes at once would add their records twice.
    const run = this.#reading.then(() => this.#readNewLines());
    this.#reading = run.catch(() => 0);
    return run;
  }

  async #readNewLines(): Promise<number> {
    const fh = await this.#readHandle();
    if (!fh) return 0;
    const { size } = await fh.stat();
    if (size < this.#bytes) {
      throw new LkError(`${this.path} shrank from ${this.#bytes} to ${size} bytes while open: a log file must only grow; restore it or restart every process using this log`);
    }
    const before = this.#count;
    let chunk = CHUNK_BYTES;
    while (this.#bytes < size) {
      const want = Math.min(chunk, size - this.#bytes);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, this.#bytes);
      const lastNewline = bytesRead > 0 ? buf.lastIndexOf(NEWLINE, bytesRead - 1) : -1;
      if (lastNewline < 0) {
        // Either a writer is halfway through a line (wait for the rest) or one line exceeds the chunk.
        if (want < chunk || bytesRead < want) break;
        chunk *= 2;
        continue;
      }
      for (let start = 0; start <= lastNewline; ) {
        const end = buf.indexOf(NEWLINE, start);
        // Lossless (byte-text.ts): bytes put in the file by hand that are not UTF-8 stay detectable.
        const r = this.#parse(decodeByteText(buf, start, end), this.#count);
        this.#index(r.timestamp, this.#bytes + start);
        if (this.#tailing) this.#keep(r);
        start = end + 1;
      }
      this.#bytes += lastNewline + 1;
    }
    return this.#count - before;
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
    const base = this.#count;
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
    // An encoded line holds no raw newline (JSON escapes it), so the newlines are the line ends.
    let start = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const timestamp = r.timestamp ?? now;
      this.#index(timestamp, this.#bytes + start);
      if (this.#tailing) this.#keep({ offset: base + i, timestamp, key: r.key, value: r.value, headers: r.headers && Object.keys(r.headers).length > 0 ? r.headers : NO_HEADERS });
      start = buf.indexOf(NEWLINE, start) + 1;
    }
    this.#bytes += buf.length;
  }

  /** Up to `max` records from offset `from` (fewer when the newest ones are in memory and the rest in the file). */
  async read(from: number, max: number): Promise<LogRecord[]> {
    this.#tailing = true;
    const end = Math.min(this.#count, from + max);
    if (from >= end) return [];
    if (from >= this.#tailBase) return this.#tail.slice(from - this.#tailBase, end - this.#tailBase).map((r) => this.#record(r));
    return this.#readFile(from, Math.min(end, this.#tailBase));
  }

  /** The first offset whose timestamp is at or after `timestamp` (Kafka's offsetsForTimes); the end offset when none. */
  async offsetForTimestamp(timestamp: number): Promise<number> {
    // Producer timestamps need not be monotonic, so there is no order to bisect: the first block
    // whose latest timestamp reaches `timestamp` holds the answer.
    const block = this.#blockMaxTimestamps.findIndex((t) => t >= timestamp);
    if (block < 0) return this.#count;
    const from = block * BLOCK;
    const records = await this.read(from, BLOCK);
    return records.find((r) => r.timestamp >= timestamp)?.offset ?? from + records.length;
  }

  async close(): Promise<void> {
    const handles = [this.#reader, this.#writer];
    this.#reader = undefined;
    this.#writer = undefined;
    for (const fh of handles) await fh?.close().catch(() => undefined);
  }

  /** Indexes the next record: its line starts at `position` in the file. */
  #index(timestamp: number, position: number): void {
    const block = Math.floor(this.#count / BLOCK);
    if (this.#count % BLOCK === 0) {
      this.#blockStarts.push(position);
      this.#blockMaxTimestamps.push(timestamp);
    } else if (timestamp > this.#blockMaxTimestamps[block]) this.#blockMaxTimestamps[block] = timestamp;
    this.#count++;
    if (!this.#tailing) this.#tailBase = this.#count;
  }

  /** Keeps the record just indexed among the newest in memory (only once this process reads). */
  #keep(r: StoredRecord): void {
    this.#tail.push(r);
    this.#tailChars += r.value.length + (r.key?.length ?? 0);
    if (this.#tailChars > TAIL_CHARS) {
      // Drop the older half at once: amortized O(1) per record.
      let drop = 0;
      let chars = this.#tailChars;
      while (chars > TAIL_CHARS / 2 && drop < this.#tail.length - 1) {
        chars -= this.#tail[drop].value.length + (this.#tail[drop].key?.length ?? 0);
        drop++;
      }
      this.#tail = this.#tail.slice(drop);
      this.#tailBase += drop;
      this.#tailChars = chars;
    }
  }

  /** Records from..end-1 from the file: from the start of from's block to the end of end-1's block. */
  async #readFile(from: number, end: number): Promise<LogRecord[]> {
    const fh = await this.#readHandle();
    if (!fh) throw new LkError(`${this.path} disappeared while open: restore it, or restart every process using this log`);
    const firstBlock = Math.floor(from / BLOCK);
    const stopBlock = Math.ceil(end / BLOCK);
    const start = this.#blockStarts[firstBlock];
    const stop = stopBlock < this.#blockStarts.length ? this.#blockStarts[stopBlock] : this.#bytes;
    const buf = Buffer.allocUnsafe(stop - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) throw new LkError(`${this.path} is shorter than the ${stop} bytes read before: a log file must only grow; restore it or restart every process using this log`);
      got += bytesRead;
    }
    const out: LogRecord[] = [];
    let offset = firstBlock * BLOCK;
    for (let at = 0; at < buf.length && offset < end; offset++) {
      const nl = buf.indexOf(NEWLINE, at);
      if (offset >= from) out.push(this.#record(this.#parse(decodeByteText(buf, at, nl), offset)));
      at = nl + 1;
    }
    return out;
  }

  #record(r: StoredRecord): LogRecord {
    return { topic: this.topic, partition: this.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers };
  }

  async #readHandle(): Promise<FileHandle | undefined> {
    if (!this.#reader) {
      try {
        this.#reader = await open(this.path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    }
    return this.#reader;
  }

  async #writeHandle(): Promise<FileHandle> {
    this.#writer ??= await open(this.path, 'a');
    return this.#writer;
  }

  /** The record on one line, which must be the one for `offset`. */
  #parse(line: string, offset: number): StoredRecord {
    let r: StoredRecord;
    try {
      r = JSON.parse(line) as StoredRecord;
    } catch (err) {
      throw new LkError(`${this.path}: line for offset ${offset} is not JSON; the file is damaged: restore it, or move the topic directory away to start empty`, { cause: err });
    }
    if (r.offset !== offset || typeof r.value !== 'string' || typeof r.timestamp !== 'number') {
      throw new LkError(`${this.path}: expected a record with offset ${offset}, found ${line.slice(0, 120)}; the file is damaged: restore it, or move the topic directory away to start empty`);
    }
    const headers = r.headers && Object.keys(r.headers).length > 0 ? r.headers : NO_HEADERS;
    return { offset, timestamp: r.timestamp, key: r.key ?? null, value: r.value, headers };
  }
}

function encodeLine(offset: number, r: AppendRecord, now: number): string {
  // Hand-built rather than JSON.stringify of an object: same output, fewer allocations on the hot path.
  const key = r.key === null ? 'null' : JSON.stringify(r.key);
  return `{"offset":${offset},"timestamp":${r.timestamp ?? now},"key":${key},"value":${JSON.stringify(r.value)},"headers":${JSON.stringify(r.headers ?? {})}}`;
}
