import type { LogHeaders, LogRecord } from '../shared/ports/event-log.ts';

/**
 * Headers `lk ingest` stamps on every record it appends, so a record can be traced to the input
 * line it came from, and a retried ingest can tell which lines of a failed send reached the log:
 * - `lk-ingest-run`: one id per ingest run (random);
 * - `lk-ingest-source`: the input file (absolute path) or `-` for stdin;
 * - `lk-ingest-line`: the 1-based line number in that input.
 * The layers ignore headers: they judge the value only.
 */
export const INGEST_RUN_HEADER = 'lk-ingest-run';
export const INGEST_SOURCE_HEADER = 'lk-ingest-source';
export const INGEST_LINE_HEADER = 'lk-ingest-line';

/** The headers of the record of input line `line` in run `runId` reading `source`. */
export function provenanceHeaders(runId: string, source: string, line: number): LogHeaders {
  return { [INGEST_RUN_HEADER]: runId, [INGEST_SOURCE_HEADER]: source, [INGEST_LINE_HEADER]: String(line) };
}

/** The input line a record of run `runId` came from, or undefined for a record of another run (or not from lk ingest). */
export function ingestedLine(record: Pick<LogRecord, 'headers'>, runId: string): number | undefined {
  if (record.headers[INGEST_RUN_HEADER] !== runId) return undefined;
  const line = Number(record.headers[INGEST_LINE_HEADER]);
  return Number.isSafeInteger(line) && line >= 1 ? line : undefined;
}
