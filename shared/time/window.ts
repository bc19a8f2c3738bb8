/**
 * A window of event time. Always half-open: [start, end). An event exactly at `end` belongs to
 * the next window; this one rule is what every layer, the ground truth and the docs use.
 */
export interface Window {
  readonly start: number;
  readonly end: number;
}

export interface TumblingSpec {
  readonly kind: 'tumbling';
  readonly sizeMs: number;
}

export interface SlidingSpec {
  readonly kind: 'sliding';
  readonly sizeMs: number;
  readonly slideMs: number;
}

export interface SessionSpec {
  readonly kind: 'session';
  /** Two events of a key are in one session when they are less than `gapMs` apart. */
  readonly gapMs: number;
}

export type WindowSpec = TumblingSpec | SlidingSpec | SessionSpec;
/** Windows whose bounds depend only on the event's time (not on other events). */
export type FixedWindowSpec = TumblingSpec | SlidingSpec;

/**
 * How far outside its batch bucket a pane of this window can reach: a fixed window starts up to a
 * size before the bucket's events (and ends up to a size after), a session ends a gap after its
 * last event.
 */
export function reachOf(spec: WindowSpec): number {
  return spec.kind === 'session' ? spec.gapMs : spec.sizeMs;
}

/** Floor division that is right for negative numbers too. */
export function alignDown(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

/** Does window a overlap window b (both half-open)? */
export function overlaps(a: Window, b: Window): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Describes a spec for people, e.g. "sliding 10m every 1m". */
export function describeWindow(spec: WindowSpec): string {
  const m = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);
  switch (spec.kind) {
    case 'tumbling':
      return `tumbling ${m(spec.sizeMs)}`;
    case 'sliding':
      return `sliding ${m(spec.sizeMs)} every ${m(spec.slideMs)}`;
    case 'session':
      return `session gap ${m(spec.gapMs)}`;
  }
}
