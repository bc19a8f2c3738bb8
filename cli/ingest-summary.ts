import type { IngestCounts } from '../workload/ingest.ts';
import { formatCount } from './progress.ts';

/** How an ingest ended, for its summary. */
export interface IngestEnd {
  readonly topic: string;
  readonly counts: Readonly<IngestCounts>;
  /** Characters a line was cut to. */
  readonly maxLineChars: number;
  /** The schema's log key field (what a line without it lacks). */
  readonly keyField: string;
  /** When it stopped early: lines of the batch it stopped at that were not appended, why, and whether the rest of the input was read. */
  readonly stopped?: { readonly notAppended: number; readonly reason: string };
}

/**
 * The last lines of `lk ingest`: what was appended, then one line per reason a line was skipped,
 * changed or not sent, each with its count (reasons that did not occur are left out).
 */
export function ingestSummary(end: IngestEnd): string[] {
  const { counts } = end;
  const lines = [`ingest: ${formatCount(counts.appended)} records appended to ${end.topic}`];
  const reason = (n: number, text: string) => {
    if (n > 0) lines.push(`ingest: ${formatCount(n)} ${text}`);
  };
  reason(counts.empty, 'empty lines skipped');
  reason(counts.truncated, `lines longer than ${formatCount(end.maxLineChars)} characters, appended cut to that (the layers dead-letter them as oversized)`);
  reason(counts.unkeyed, `lines without a ${end.keyField}, appended with a null key (the layers judge them)`);
  reason(counts.found, 'lines of a failed send found in the log when retrying, not sent again (appended once)');
  if (end.stopped) reason(end.stopped.notAppended, `lines read not appended (${end.stopped.reason}); the input after line ${formatCount(counts.lines)} was not read`);
  return lines;
}
