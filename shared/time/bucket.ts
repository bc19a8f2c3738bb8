import { alignDown } from './window.ts';

/**
 * Batch buckets: the unit the batch layer computes and publishes (one hour by default, the
 * `dt=YYYY-MM-DD/hour=HH` partition). Every pane carries the bucket of the events it holds, so a
 * window that straddles a bucket boundary has one partial per bucket. The batch horizon is a
 * bucket boundary and an exclusive bound (Summingbird's BatchID): events with
 * `event_time < horizon` are served from batch, the rest from speed.
 */
export const HOUR_MS = 3_600_000;

export function bucketOf(t: number, bucketMs: number = HOUR_MS): number {
  return alignDown(t, bucketMs);
}

/** SQL for the bucket of a BIGINT epoch-ms column: the SQL twin of `bucketOf` (floor, so right for negatives too). */
export function bucketSql(column: string, bucketMs: number = HOUR_MS): string {
  return `(floor(${column} / ${bucketMs}::DOUBLE)::BIGINT * ${bucketMs})`;
}

/**
 * No pane ending after `from` starts before this. A pane holds one bucket's events of one window:
 * a fixed window spans its size (the reach), a session fragment runs from its first event (in the
 * bucket) to its last one (in the bucket) plus the gap (the reach), so any pane spans less than a
 * bucket plus the reach.
 */
export function earliestPaneStart(from: number, bucketMs: number, reachMs: number): number {
  return from - bucketMs - reachMs;
}

/**
 * Whether panes of this bucket can still change: some window of it ends after `lateBefore` (events
 * before that are too late). Panes of a closed bucket are final; the stream keeps only open ones.
 */
export function isBucketOpen(bucket: number, bucketMs: number, reachMs: number, lateBefore: number): boolean {
  return bucket + bucketMs + reachMs > lateBefore;
}

/** The `dt=YYYY-MM-DD/hour=HH` partition path of a bucket start. */
export function partitionPath(bucketStart: number): string {
  const iso = new Date(bucketStart).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}

/** Parses a `dt=YYYY-MM-DD/hour=HH` path back to its bucket start (UTC). */
export function parsePartitionPath(path: string): number | undefined {
  const m = /dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})/.exec(path);
  if (!m) return undefined;
  return Date.parse(`${m[1]}T${m[2]}:00:00Z`);
}
