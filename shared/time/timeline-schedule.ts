/**
 * The timeline's schedule on the simulated clock (pure): when the batch layer runs, when the
 * comparison queries, when probes are sent. The demo and `lk compare` play a workload on a
 * simulated clock and ask this file what is due in each step, so the schedule is tested without
 * services.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** One batch run the schedule asks for. */
export interface ScheduledBatchRun {
  /** Simulated time of the run (epoch ms). */
  readonly at: number;
  /** hourly: archive, then the stale complete hours; daily: recompute the previous UTC day. */
  readonly kind: 'hourly' | 'daily';
}

export interface BatchTimetable {
  /** Offset of the hourly run after each whole hour (see hourlyRunOffsetMs). */
  readonly hourlyOffsetMs: number;
  /** Offset of the daily run after each UTC midnight (default 30 min, the cron default 00:30). */
  readonly dailyOffsetMs: number;
}

/**
 * How long after each whole hour the hourly batch runs: the hour just ended is complete once the
 * log's watermark (progress minus maxOutOfOrderness) is past its end plus the straggler delay, so
 * the run waits that long, rounded up to the next whole minute. A run at minute 5 with a 5 min
 * straggler delay would find the hour just ended a few seconds short of complete, every hour, and
 * publish it an hour late.
 */
export function hourlyRunOffsetMs(stragglerDelayMs: number, maxOutOfOrdernessMs: number): number {
  return Math.max(MINUTE_MS, Math.ceil((stragglerDelayMs + maxOutOfOrdernessMs + 1) / MINUTE_MS) * MINUTE_MS);
}

/** The batch runs due in (after, upTo], in time order; an hourly and a daily run at the same instant: hourly first. */
export function batchRunsBetween(after: number, upTo: number, t: BatchTimetable): ScheduledBatchRun[] {
  const runs: ScheduledBatchRun[] = [];
  const collect = (periodMs: number, offsetMs: number, kind: ScheduledBatchRun['kind']) => {
    // The first period start whose run is after `after`.
    let start = Math.floor((after - offsetMs) / periodMs) * periodMs;
    while (start + offsetMs <= after) start += periodMs;
    for (; start + offsetMs <= upTo; start += periodMs) runs.push({ at: start + offsetMs, kind });
  };
  collect(HOUR_MS, t.hourlyOffsetMs, 'hourly');
  collect(DAY_MS, t.dailyOffsetMs, 'daily');
  return runs.sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'hourly' ? -1 : 1));
}

/** Instants start + k * every in (after, upTo] (k ≥ 1): query and probe instants. */
export function instantsBetween(start: number, everyMs: number, after: number, upTo: number): number[] {
  const out: number[] = [];
  let k = Math.max(1, Math.floor((after - start) / everyMs) + 1);
  for (; start + k * everyMs <= upTo; k++) out.push(start + k * everyMs);
  return out;
}

/**
 * Wall time (ms after the run's start) at which the simulated clock reaches `simTime`: the clock
 * runs `speedup` times faster than the wall clock from `simStart`.
 */
export function wallOffsetOf(simTime: number, simStart: number, speedup: number): number {
  return (simTime - simStart) / speedup;
}
