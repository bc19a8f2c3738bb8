import type { Watermark } from './watermark.ts';

/**
 * The watermark of several partitions: the minimum over them (as Flink takes the minimum over its
 * inputs), leaving out the idle ones. A partition is idle when its latest valid record was appended
 * more than `idleTimeoutMs` before the newest valid record of any partition. Both times are in the
 * log, so the result is a function of the log alone (replay equals live), unlike an idleness
 * measured on the processing clock. A partition whose append times are unknown (a checkpoint
 * written before they were kept) is never idle. Without partitions, or without a timeout (absent:
 * the policy's `idleTimeoutMs`), it is the plain minimum; +Infinity for no partitions.
 *
 * What idleness gives up: an idle partition that comes back with events behind the combined
 * watermark still has them counted (lateness is judged by its own watermark), so a window served
 * as final, or an hour published by the batch, can still change; the hourly cycle recomputes such
 * an hour when its master files change.
 */
export function combinedWatermark(
  partitions: readonly Watermark[],
  idleTimeoutMs: number | undefined = partitions[0]?.policy.idleTimeoutMs,
  /** What is combined of each partition: its watermark, or e.g. its lateness bound (Watermark.lateBefore). */
  of: (wm: Watermark) => number = (wm) => wm.current,
): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const wm of partitions) if (wm.lastAppendTime > newest) newest = wm.lastAppendTime;
  const idleBefore = idleTimeoutMs === undefined || !Number.isFinite(newest) ? Number.NEGATIVE_INFINITY : newest - idleTimeoutMs;
  let min = Number.POSITIVE_INFINITY;
  for (const wm of partitions) {
    const idle = Number.isFinite(wm.lastAppendTime) && wm.lastAppendTime < idleBefore;
    if (!idle && of(wm) < min) min = of(wm);
  }
  return min;
}
