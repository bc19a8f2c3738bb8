import type { LogHeaders, LogRecord } from '../shared/ports/event-log.ts';

/**
 * The header `lk ingest` stamps on every record it appends, so a record can be traced to the
 * input line it came from, and a retried ingest can tell which lines of a failed send reached the
 * log. Its value is `<run> <line> <source>`: the run's id (no spaces), the 1-based line number in
 * the input, and the input file (absolute path, which may contain spaces: the rest of the value)
 * or `-` for stdin. One header, not three: kafkajs encodes each header of each record with its own
 * zero-filled 512-byte buffer, and three halved ingest's throughput (docs/decisions.md). The
 * layers ignore headers: they judge the value only.
 */
export const INGEST_HEADER = 'lk-ingest';

/** Where an ingested record came from. */
export interface Provenance {
  readonly runId: string;
  readonly line: number;
  readonly source: string;
}

/** The headers of the record of input line `line` in run `runId` reading `source`. */
export function provenanceHeaders(runId: string, source: string, line: number): LogHeaders {
  return { [INGEST_HEADER]: `${runId} ${line} ${source}` };
}

/** Where a record came from, or undefined for a record lk ingest did not stamp. */
export function provenanceOf(record: Pick<LogRecord, 'headers'>): Provenance | undefined {
  const value = record.headers[INGEST_HEADER];
  if (value === undefined) return undefined;
  const first = value.indexOf(' ');
  const second = value.indexOf(' ', first + 1);
  if (first <= 0 || second < 0) return undefined;
  const line = Number(value.slice(first + 1, second));
  if (!(Number.isSafeInteger(line) && line >= 1)) return undefined;
  return { runId: value.slice(0, first), line, source: value.slice(second + 1) };
}

/** The input line a record of run `runId` came from, or undefined for a record of another run (or not from lk ingest). */
export function ingestedLine(record: Pick<LogRecord, 'headers'>, runId: string): number | undefined {
  const p = provenanceOf(record);
  return p?.runId === runId ? p.line : undefined;
}
