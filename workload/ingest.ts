import { BadRequestError, IngestIncompleteError, LkError } from '../shared/errors.ts';
import type { AppendRecord, EventLog } from '../shared/ports/event-log.ts';
import { retryWithin } from '../shared/retry-within.ts';
import { recordKey } from './record-key.ts';

/** How `ingest` batches, stamps and reports. */
export interface IngestOptions {
  /** The schema's log key field: each record is keyed by its value (see recordKey). */
  readonly keyField: string;
  /** Lines per append call (default 1000). */
  readonly batchSize?: number;
  /** Called after each appended batch with the counts so far. */
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
   * ingest stops (default 60,000; 0 stops at once). The same batch is sent again, and the Kafka
   * producer is idempotent, so a retry does not add a batch twice.
   */
  readonly retryMs?: number;
  /** Called before each retry of an append, with the error and the wait. */
  readonly onRetry?: (err: LkError, waitMs: number) => void;
}

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
}

/**
 * Appends JSON lines to the log as raw records, keyed by the log key field where a line has one. It does not
 * validate: the layers judge every record the same way, and a bad line must reach their
 * dead-letter output rather than be dropped (or crash) here. Lines are appended in order, in
 * batches, one batch in flight (the next lines are read only after it is durable: memory stays
 * bounded whatever the input's size); the returned promise resolves once every batch is durable.
 * When a batch cannot be appended (after retries) it rejects with IngestIncompleteError, saying
 * what was appended and the line to resume at. The caller creates the topic (it knows the
 * partition count).
 */
export async function ingest(log: EventLog, topic: string, lines: AsyncIterable<string> | Iterable<string>, options: IngestOptions): Promise<IngestCounts> {
  const batchSize = options.batchSize ?? 1000;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new BadRequestError('batchSize', `must be a whole number >= 1, got ${batchSize}`);
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  if (!(Number.isInteger(maxLineChars) && maxLineChars >= 1)) throw new BadRequestError('maxLineChars', `must be a whole number >= 1, got ${maxLineChars}`);
  const retryMs = options.retryMs ?? DEFAULT_INGEST_RETRY_MS;
  if (!(Number.isFinite(retryMs) && retryMs >= 0)) throw new BadRequestError('retryMs', `must be a number of milliseconds >= 0, got ${retryMs}`);
  const counts: IngestCounts = { lines: 0, appended: 0, empty: 0, keyed: 0, unkeyed: 0, truncated: 0, chars: 0 };
  let batch: string[] = [];
  // Line number of the batch's first line: where to resume if the batch is not appended.
  let batchFirstLine = 1;
  const flush = async () => {
    if (batch.length === 0) return;
    const timestamp = options.now?.();
    const records: AppendRecord[] = batch.map((line) => {
      const key = recordKey(line, options.keyField);
      if (key === null) counts.unkeyed++;
      else counts.keyed++;
      let value = line;
      if (value.length > maxLineChars) {
        value = value.slice(0, maxLineChars);
        counts.truncated++;
      }
      return timestamp === undefined ? { key, value } : { key, value, timestamp };
    });
    try {
      await retryWithin(() => log.append(topic, records), {
        budgetMs: retryMs,
        retriable: (err) => err instanceof LkError && err.retriable,
        onRetry: (err, waitMs) => options.onRetry?.(err as LkError, waitMs),
        signal: options.signal,
      });
    } catch (err) {
      throw new IngestIncompleteError(counts.appended, batchFirstLine, err);
    }
    counts.appended += records.length;
    batch = [];
    options.onProgress?.(counts);
  };
  for await (const line of lines) {
    counts.lines++;
    if (line.trim() === '') {
      counts.empty++;
      continue;
    }
    if (batch.length === 0) batchFirstLine = counts.lines;
    batch.push(line);
    counts.chars += line.length;
    if (batch.length >= batchSize) {
      await flush();
      if (options.signal?.aborted) return counts;
    }
  }
  await flush();
  return counts;
}
