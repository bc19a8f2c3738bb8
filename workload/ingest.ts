import { randomBytes } from 'node:crypto';
import { BadRequestError, IngestIncompleteError, LkError } from '../shared/errors.ts';
import type { AppendRecord, EventLog, PartitionOffsets } from '../shared/ports/event-log.ts';
import { retryWithin } from '../shared/retry-within.ts';
import { provenanceHeaders } from './ingest-provenance.ts';
import { landedLines } from './landed-lines.ts';
import { recordKey } from './record-key.ts';

/** How `ingest` batches, stamps and reports. */
export interface IngestOptions {
  /** The schema's log key field: each record is keyed by its value (see recordKey). */
  readonly keyField: string;
  /** Lines per append call (default 1000). */
  readonly batchSize?: number;
  /** Called after each appended batch with the counts so far, and once more before an IngestIncompleteError. */
  readonly onProgress?: (counts: Readonly<IngestCounts>) => void;
  /** Append timestamp for the records (epoch ms), read once per batch; without it the log stamps them. */
  readonly now?: () => number;
  /** Stops after the batch in flight (e.g. on Ctrl-C); the counts say how far it got. */
  readonly signal?: AbortSignal;
  /**
   * Longer lines are cut to this many characters (default 256 Ki), because a broker refuses
   * messages above its size limit (Kafka: 1 MB) and the whole ingest would fail. Keep it above the
   * pipeline's maxRecordBytes: a cut line is then still rejected as oversized, as the full one would be.
   */
  readonly maxLineChars?: number;
  /**
   * How long an append that failed because the log is unavailable (a retriable error, e.g. the
   * broker is down) is retried, with the platform's backoff (100 ms doubling to 5 s), before the
   * ingest stops (default 60,000; 0 stops at once). A send that failed may have reached the log in
   * part (Kafka: produce requests written whose acknowledgement was lost, and the new producer a
   * retry gets is not deduplicated against the old one), so before sending again the lines of the
   * batch that landed are read back (by their provenance headers, from end offsets read before
   * the send) and only the rest is sent: every line is appended once.
   */
  readonly retryMs?: number;
  /** Called before each retry of an append, with the error and the wait. */
  readonly onRetry?: (err: LkError, waitMs: number) => void;
  /** Names this run in the records' `lk-ingest` header (default: 16 random hex digits); no spaces. */
  readonly runId?: string;
  /** The input, for the records' `lk-ingest` header: a file's path, or `-` for stdin (the default). */
  readonly source?: string;
}

/**
 * How old the end offsets a read-back starts from may be: they are read again before a batch once
 * older than this, so a read-back after a failed send covers about this much appending, while
 * an ingest asks for them about once a second, not once per batch.
 */
const READ_BACK_FLOOR_MS = 1_000;

/** Default time `ingest` retries an append while the log is unavailable. */
export const DEFAULT_INGEST_RETRY_MS = 60_000;

/** Default cut for over-long lines: 4x the default maxRecordBytes, far below Kafka's 1 MB message limit. */
export const DEFAULT_MAX_LINE_CHARS = 256 * 1024;

/** What `ingest` did, so far or in total. */
export interface IngestCounts {
  /** Lines read, empty ones included. */
  lines: number;
  /** Records appended to the log (every non-empty line, valid or not). */
  appended: number;
  /** Blank lines, skipped. */
  empty: number;
  /** Appended with a key / with a null key (unparseable, or no usable log key field). */
  keyed: number;
  unkeyed: number;
  /** Lines cut to maxLineChars. */
  truncated: number;
  /** UTF-16 characters of the non-empty lines read (a size indication, not exact bytes). */
  chars: number;
  /** Of `appended`: records of a failed send found in the log when it was retried, so not sent again. */
  found: number;
}

/**
 * Appends JSON lines to the log as raw records, keyed by the log key field where a line has one, each
 * stamped with its run, line number and input (ingest-provenance.ts). It does not validate: the
 * layers judge every record the same way, and a bad line must reach their dead-letter output
 * rather than be dropped (or crash) here. Lines are appended in order, in batches, one batch in
 * flight (the next lines are read only after it is durable: memory stays bounded whatever the
 * input's size); the returned promise resolves once every batch is durable, each line appended
 * once even across retries (see retryMs). When a batch cannot be appended (after retries) it
 * rejects with IngestIncompleteError, saying what was appended and the line to resume at. The
 * caller creates the topic (it knows the partition count).
 */
export async function ingest(log: EventLog, topic: string, lines: AsyncIterable<string> | Iterable<string>, options: IngestOptions): Promise<IngestCounts> {
  const batchSize = options.batchSize ?? 1000;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new BadRequestError('batchSize', `must be a whole number >= 1, got ${batchSize}`);
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  if (!(Number.isInteger(maxLineChars) && maxLineChars >= 1)) throw new BadRequestError('maxLineChars', `must be a whole number >= 1, got ${maxLineChars}`);
  const retryMs = options.retryMs ?? DEFAULT_INGEST_RETRY_MS;
  if (!(Number.isFinite(retryMs) && retryMs >= 0)) throw new BadRequestError('retryMs', `must be a number of milliseconds >= 0, got ${retryMs}`);
  const runId = options.runId ?? randomBytes(8).toString('hex');
  if (!/^\S+$/.test(runId)) throw new BadRequestError('runId', `must be non-empty without spaces (it starts the lk-ingest header), got "${runId}"`);
  const source = options.source ?? '-';
  const counts: IngestCounts = { lines: 0, appended: 0, empty: 0, keyed: 0, unkeyed: 0, truncated: 0, chars: 0, found: 0 };
  let batch: string[] = [];
  // Line number of each line of the batch.
  let batchLines: number[] = [];
  // End offsets read before the batches since then were sent: where a read-back starts.
  let floor: PartitionOffsets | undefined;
  let floorAt = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const firstLine = batchLines[0];
    const timestamp = options.now?.();
    let pending: { line: number; record: AppendRecord }[] = batch.map((text, i) => {
      const key = recordKey(text, options.keyField);
      if (key === null) counts.unkeyed++;
      else counts.keyed++;
      let value = text;
      if (value.length > maxLineChars) {
        value = value.slice(0, maxLineChars);
        counts.truncated++;
      }
      const line = batchLines[i];
      const headers = provenanceHeaders(runId, source, line);
      return { line, record: timestamp === undefined ? { key, value, headers } : { key, value, timestamp, headers } };
    });
    const size = pending.length;
    // Whether an append of this batch was tried since the last read-back: then some of it may be in the log.
    let sent = false;
    try {
      await retryWithin(
        async () => {
          if (sent) {
            const landed = await landedLines(log, topic, floor!, runId, firstLine);
            sent = false;
            const before = pending.length;
            pending = pending.filter((p) => !landed.has(p.line));
            counts.found += before - pending.length;
            if (pending.length === 0) return;
          } else if (floor === undefined || performance.now() - floorAt >= READ_BACK_FLOOR_MS) {
            floorAt = performance.now();
            floor = await log.endOffsets(topic);
          }
          sent = true;
          await log.append(
            topic,
            pending.map((p) => p.record),
          );
          sent = false;
          pending = [];
        },
        {
          budgetMs: retryMs,
          retriable: (err) => err instanceof LkError && err.retriable,
          onRetry: (err, waitMs) => options.onRetry?.(err as LkError, waitMs),
          signal: options.signal,
        },
      );
    } catch (err) {
      const landedOfBatch = size - pending.length;
      counts.appended += landedOfBatch;
      options.onProgress?.(counts);
      throw new IngestIncompleteError(counts.appended, firstLine, err, { found: landedOfBatch, notAppended: pending.length, inDoubt: sent ? pending.length : 0, runId });
    }
    counts.appended += size;
    batch = [];
    batchLines = [];
    options.onProgress?.(counts);
  };
  for await (const line of lines) {
    counts.lines++;
    if (line.trim() === '') {
      counts.empty++;
      continue;
    }
    batch.push(line);
    batchLines.push(counts.lines);
    counts.chars += line.length;
    if (batch.length >= batchSize) {
      await flush();
      if (options.signal?.aborted) return counts;
    }
  }
  await flush();
  return counts;
}
