import cron, { type ScheduledTask } from 'node-cron';
import { DEFAULT_LATENESS } from '../shared/compute/pipeline.ts';
import { DEFAULT_STRAGGLER_DELAY_MS } from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import { hourlyRunOffsetMs } from '../shared/time/timeline-schedule.ts';
import { runDailyRecompute, runHourlyCycle, type BatchCycleDeps, type BatchCycleResult } from './batch-cycle.ts';

export type BatchCycleKind = 'hourly' | 'daily';

/**
 * The hourly cron for a straggler delay: at the first whole minute after which the hour just ended
 * can be complete (its end + the delay + the watermark's out-of-orderness, hourlyRunOffsetMs), so
 * a run does not find it seconds short and leave it for the next hour.
 */
export function hourlyCronAfter(stragglerDelayMs: number, maxOutOfOrdernessMs: number): string {
  return `${Math.round(hourlyRunOffsetMs(stragglerDelayMs, maxOutOfOrdernessMs) / 60_000) % 60} * * * *`;
}

/** With the default straggler delay (5 min) and out-of-orderness (5 s): minute 6 of every hour. */
export const DEFAULT_HOURLY_CRON = hourlyCronAfter(DEFAULT_STRAGGLER_DELAY_MS, DEFAULT_LATENESS.maxOutOfOrdernessMs);
/** At 00:30 every day, after the hourly cycle of midnight. */
export const DEFAULT_DAILY_CRON = '30 0 * * *';

export interface BatchScheduleOptions {
  /** Cron expressions, in UTC (the master dataset's dt/hour are UTC). */
  readonly hourly?: string;
  readonly daily?: string;
  /**
   * Runs an hourly cycle at once instead of waiting for the first tick (default true). A cycle
   * only computes what is stale, so a restart after a crash catches up in minutes, not at the
   * next hour.
   */
  readonly catchUp?: boolean;
  /** A cycle starts (after the overlap guard let it). */
  readonly onStart?: (kind: BatchCycleKind) => void;
  readonly onResult?: (kind: BatchCycleKind, result: BatchCycleResult) => void;
  /** A tick found the previous cycle still running and did nothing. */
  readonly onSkipped?: (kind: BatchCycleKind) => void;
  readonly onError?: (kind: BatchCycleKind, err: unknown) => void;
}

export interface BatchScheduleHandle {
  /** Runs a cycle now, through the same overlap guard as the timers; 'skipped' when one is running. */
  trigger(kind: BatchCycleKind): Promise<BatchCycleResult | 'skipped'>;
  /** Stops the timers and waits for a running cycle to finish. */
  stop(): Promise<void>;
}

/** Throws ConfigError unless `expression` is a cron expression node-cron accepts. */
export function assertCronExpression(setting: string, expression: string): void {
  if (!cron.validate(expression)) {
    throw new ConfigError(`${setting} "${expression}" is not a cron expression; give five fields in UTC (minute hour day-of-month month day-of-week), e.g. "${DEFAULT_HOURLY_CRON}"`);
  }
}

/**
 * node-cron wiring of the batch layer (the only file that imports node-cron): at start and then
 * hourly (minute 6 by default: hourlyCronAfter), archive then compute the buckets that became complete or got new master files;
 * daily at 00:30, recompute the previous day. One guard for both, so cycles never overlap: both write the
 * manifest, and a second writer would lose the first one's update.
 */
export function scheduleBatch(deps: BatchCycleDeps, options: BatchScheduleOptions = {}): BatchScheduleHandle {
  const hourly = options.hourly ?? DEFAULT_HOURLY_CRON;
  const daily = options.daily ?? DEFAULT_DAILY_CRON;
  assertCronExpression('hourly schedule', hourly);
  assertCronExpression('daily schedule', daily);
  let running: Promise<unknown> | undefined;
  const cycles: Record<BatchCycleKind, (d: BatchCycleDeps) => Promise<BatchCycleResult>> = { hourly: runHourlyCycle, daily: runDailyRecompute };

  const trigger = async (kind: BatchCycleKind): Promise<BatchCycleResult | 'skipped'> => {
    if (running) {
      options.onSkipped?.(kind);
      return 'skipped';
    }
    options.onStart?.(kind);
    const run = cycles[kind](deps);
    running = run;
    try {
      const result = await run;
      options.onResult?.(kind, result);
      return result;
    } finally {
      running = undefined;
    }
  };
  const tick = (kind: BatchCycleKind) => () =>
    trigger(kind).catch((err: unknown) => {
      if (options.onError) options.onError(kind, err);
      else console.error(`batch ${kind} cycle failed:`, err);
    });
  const tasks: ScheduledTask[] = [
    cron.schedule(hourly, tick('hourly'), { timezone: 'Etc/UTC', name: 'lk-batch-hourly' }),
    cron.schedule(daily, tick('daily'), { timezone: 'Etc/UTC', name: 'lk-batch-daily' }),
  ];
  if (options.catchUp ?? true) void tick('hourly')();
  return {
    trigger,
    async stop() {
      for (const t of tasks) await t.destroy();
      await running?.catch(() => undefined);
    },
  };
}
