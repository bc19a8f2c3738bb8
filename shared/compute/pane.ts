import type { Accumulator } from './aggregate.ts';

/**
 * A pane: the partial aggregate of one view, key and window, holding only the events of one
 * batch bucket (Summingbird's (K, BatchID) -> V). Layers store panes; serving picks panes by
 * bucket (batch below the horizon, speed from it on) and merges them with the view's aggregate.
 */
export interface Pane {
  readonly view: string;
  readonly key: string;
  readonly start: number;
  /** For session panes the end moves as the session grows. */
  end: number;
  readonly bucket: number;
  readonly acc: Accumulator;
  /** The object measures' states, encoded (`Aggregate.encodeStates`); absent when the view has none. */
  readonly states?: string;
}

/** What identifies a stored pane (within one source partition). */
export interface PaneId {
  readonly view: string;
  readonly key: string;
  readonly start: number;
  readonly bucket: number;
}

export function paneIdString(p: PaneId): string {
  return `${p.view}\u0000${p.key}\u0000${p.start}\u0000${p.bucket}`;
}
