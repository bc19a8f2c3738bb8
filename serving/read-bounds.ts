import type { CompiledView } from '../shared/compute/pipeline.ts';
import { BadRequestError } from '../shared/errors.ts';
import { bucketsPerWindow, windowsOverlapping } from '../shared/time/fixed-window.ts';

/**
 * Read bounds: a query the service would refuse must cost (almost) nothing. Two rules, both
 * decided from the query and the view definition:
 *
 * - Before any read, a query over one window series (a global view, or one key) is refused when
 *   its range holds more windows than the service ever answers (Prometheus refuses a range query
 *   by (end - start) / step the same way): the count is known without data.
 * - Every read is bounded. Of fixed windows, one layer holds at most `bucketsPerWindow` panes per
 *   window and partition, so more rows than `windowLimit * that * partitions` mean more windows
 *   than `windowLimit`: each layer is read with a LIMIT one above the smaller of that and
 *   `maxPanes`, and hitting it refuses the query without reading the rest.
 */

/** What a query may hold: windows in the answer, and panes in memory while merging. */
export interface ReadLimits {
  readonly windowLimit: number;
  readonly maxPanes: number;
}

/** One layer's read bound: at most `rows` rows, and what reading that many means. */
export interface RowBound {
  /** The LIMIT (undefined: unbounded). */
  readonly rows: number | undefined;
  /** 'windows': the answer has more windows than the limit; 'panes': more panes than maxPanes. */
  readonly exceeds: 'windows' | 'panes';
}

/**
 * Throws BadRequestError when a query over one window series (global view, or `key` given) asks
 * for a range that holds more windows than `maxWindows`, before anything is read.
 */
export function checkWindowCount(view: CompiledView, key: string | undefined, from: number, to: number, maxWindows: number): void {
  const spec = view.def.window;
  if (spec.kind === 'session' || !Number.isFinite(maxWindows)) return;
  if (view.keyFields.length > 0 && key === undefined) return;
  const n = windowsOverlapping(spec, from, to);
  if (n > maxWindows) {
    // Named `limit`, as the same refusal is when it is only found after reading.
    throw new BadRequestError('limit', `the range holds ${n} windows of view ${view.name}, more than the ${maxWindows} one answer may hold; narrow from/to`);
  }
}

/** The row bound of one layer's read; `partitions`: how many log partitions its panes come from (1 for the batch). */
export function rowBound(view: CompiledView, limits: ReadLimits, bucketMs: number, partitions: number): RowBound {
  const spec = view.def.window;
  const byWindows = spec.kind === 'session' ? Number.POSITIVE_INFINITY : limits.windowLimit * bucketsPerWindow(spec, bucketMs) * Math.max(1, partitions);
  const most = Math.min(byWindows, limits.maxPanes);
  return { rows: Number.isFinite(most) ? most + 1 : undefined, exceeds: byWindows <= limits.maxPanes ? 'windows' : 'panes' };
}
