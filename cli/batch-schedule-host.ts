import { DEFAULT_DAILY_CRON, scheduleBatch, type BatchScheduleHandle } from '../batch/batch-schedule.ts';
import type { BatchCycleDeps } from '../batch/batch-cycle.ts';
import type { BatchMetrics } from '../batch/batch-metrics.ts';
import { formatCount, type Progress } from './progress.ts';
import { rejectionLines } from './rejection-lines.ts';

/**
 * The batch layer's schedule as `lk batch --schedule` and `lk run` host it: a catch-up cycle now,
 * then hourly and daily, each cycle reported on one line and fed to `metrics`.
 */
export function hostBatchSchedule(
  deps: Omit<BatchCycleDeps, 'onBatchProgress' | 'onArchiveProgress'>,
  options: { readonly hourly: string; readonly daily?: string; readonly metrics?: BatchMetrics },
  say: (line: string) => void,
  progress: Progress,
): BatchScheduleHandle {
  const { metrics } = options;
  const handle = scheduleBatch(
    { ...deps, onBatchProgress: (p) => progress.update(`batch: bucket ${p.bucketsDone}/${p.bucketsTotal}`) },
    {
      hourly: options.hourly,
      daily: options.daily,
      onStart: (kind) => metrics?.onStart(kind),
      onResult: (kind, r) => {
        metrics?.onResult(kind, r);
        for (const line of rejectionLines(r.batch?.quality.failures ?? [])) say(`batch ${kind}: ${line}`);
        progress.done(`batch ${kind}: archived ${formatCount(r.archived.valid)} events; ${r.batch ? `recomputed ${r.batch.buckets.length} hours, horizon ${r.batch.horizon === null ? 'none' : new Date(r.batch.horizon).toISOString()}` : 'nothing to recompute'}`);
      },
      onSkipped: (kind) => {
        metrics?.onSkipped(kind);
        say(`batch ${kind}: previous cycle still running; skipped`);
      },
      onError: (kind, err) => {
        metrics?.onError(kind);
        say(`batch ${kind}: failed: ${(err as Error).message}`);
      },
    },
  );
  say(`batch: catching up now, then hourly at "${options.hourly}" and daily at "${options.daily ?? DEFAULT_DAILY_CRON}" (cron, UTC); Ctrl-C to stop`);
  return handle;
}
