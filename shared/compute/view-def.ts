import type { EventType } from '../model/event.ts';
import type { Window, WindowSpec } from '../time/window.ts';
import type { Measure } from './measure.ts';

/** Which event field keys a view; `null` makes a global view with the single key `*`. */
export type KeyField = 'product_id' | 'user_id' | null;

export const GLOBAL_KEY = '*';

/**
 * One view of the pipeline, as data: which events, keyed how, windowed how, aggregated into which
 * measures, and how the measures are presented. Runners never look inside; they hand events to
 * the compiled pipeline and store the panes it produces.
 */
export interface ViewDef {
  readonly name: string;
  readonly description: string;
  readonly keyField: KeyField;
  /** Only these event types enter the view (all when absent). */
  readonly eventTypes?: readonly EventType[];
  readonly window: WindowSpec;
  readonly measures: readonly Measure[];
  /** Presentation of one window's measures (derived ratios, cents to currency). Pure. */
  present(m: Record<string, number>, w: Window): Record<string, number | string | null>;
}
