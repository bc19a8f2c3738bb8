import { ConfigError } from '../errors.ts';
import type { FixedWindowSpec } from './window.ts';

/**
 * Tumbling and sliding (hopping) windows. A tumbling window is a sliding one whose slide equals
 * its size, so one rule serves both.
 *
 * The slide is the "pane": every time inside one slide-aligned pane [p, p + slide) belongs to
 * exactly the same windows (size is a multiple of slide, checked by `checkFixedWindow`). The
 * batch layer relies on this: DuckDB pre-aggregates per pane (`paneStartSql`) and the windows of
 * a pane are then assigned by `forEachWindowStart`, the same function the speed layer uses per event.
 */
export function slideOf(spec: FixedWindowSpec): number {
  return spec.kind === 'tumbling' ? spec.sizeMs : spec.slideMs;
}

/**
 * Windows are numbered by start / slide. Time t is in the `windowsPerTime` windows numbered
 * `newestWindowOf(t)` downwards: window n covers [n * slide, n * slide + size), and size is a
 * multiple of slide, so exactly size / slide windows contain any time.
 */
export function newestWindowOf(spec: FixedWindowSpec, t: number): number {
  return Math.floor(t / slideOf(spec));
}

/** How many windows contain each time: 1 for tumbling windows, size / slide for sliding ones. */
export function windowsPerTime(spec: FixedWindowSpec): number {
  return spec.sizeMs / slideOf(spec);
}

/** How many windows (of any key) overlap [from, to): those numbered n with n * slide < to and n * slide + size > from. */
export function windowsOverlapping(spec: FixedWindowSpec, from: number, to: number): number {
  const slide = slideOf(spec);
  const first = Math.floor((from - spec.sizeMs) / slide) + 1;
  const last = Math.ceil(to / slide) - 1;
  return Math.max(0, last - first + 1);
}

/** The most buckets one window overlaps: its panes of one partition are at most this many (one per bucket). */
export function bucketsPerWindow(spec: FixedWindowSpec, bucketMs: number): number {
  // Window starts are multiples of the slide, so their offset in a bucket is a multiple of
  // gcd(slide, bucket); the latest such offset reaches furthest into the following buckets.
  const latestOffset = bucketMs - gcd(slideOf(spec), bucketMs);
  return Math.floor((latestOffset + spec.sizeMs - 1) / bucketMs) + 1;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Calls `fn` with the start of every window containing time t, newest first. */
export function forEachWindowStart(spec: FixedWindowSpec, t: number, fn: (start: number) => void): void {
  const slide = slideOf(spec);
  const newest = newestWindowOf(spec, t);
  const count = windowsPerTime(spec);
  for (let i = 0; i < count; i++) fn((newest - i) * slide);
}

/** The windows containing t, newest first. */
export function windowStartsOf(spec: FixedWindowSpec, t: number): number[] {
  const out: number[] = [];
  forEachWindowStart(spec, t, (s) => out.push(s));
  return out;
}

/** SQL for the pane (slide-aligned start) of a BIGINT epoch-ms column: the SQL twin of `alignDown(t, slide)`. */
export function paneStartSql(spec: FixedWindowSpec, column: string): string {
  const slide = slideOf(spec);
  return `(floor(${column} / ${slide}::DOUBLE)::BIGINT * ${slide})`;
}

/** Throws a message that says what to change when the spec cannot work. */
export function checkFixedWindow(name: string, spec: FixedWindowSpec): void {
  const slide = slideOf(spec);
  if (!(Number.isInteger(spec.sizeMs) && spec.sizeMs > 0)) throw new ConfigError(`${name}: window size must be a positive whole number of ms`);
  if (!(Number.isInteger(slide) && slide > 0)) throw new ConfigError(`${name}: slide must be a positive whole number of ms`);
  if (spec.sizeMs % slide !== 0) throw new ConfigError(`${name}: window size (${spec.sizeMs} ms) must be a multiple of the slide (${slide} ms)`);
}
