import type { Window, WindowSpec } from '../time/window.ts';
import type { Measure } from './measure.ts';
import type { ViewQuality } from './view-quality.ts';

/** The one key of a global view (no key fields). */
export const GLOBAL_KEY = '*';

/**
 * One view of the pipeline, as data: which events (filter), keyed how, windowed how, aggregated
 * into which measures, and how the measures are presented. Runners never look inside; they hand
 * events to the compiled pipeline and store the panes it produces.
 */
export interface ViewDef {
  readonly name: string;
  readonly description: string;
  /**
   * The field(s) that key the view: one field, several (a composite key, see key-encoding.ts), or
   * none (absent or []) for a global view with the single key `*`. Key fields must be required.
   */
  readonly key?: string | readonly string[];
  /** Only events this condition (the expression language, expression.ts) accepts enter the view; all when absent. */
  readonly filter?: string;
  readonly window: WindowSpec;
  readonly measures: readonly Measure[];
  /** What the batch layer's quality gate holds the view's published hours to (view-quality.ts). */
  readonly quality?: ViewQuality;
  /** Presentation of one window's measures (derived ratios, cents to currency). Pure. */
  present(m: Record<string, number>, w: Window): Record<string, number | string | null>;
}

/** The key fields of a view, as a list ([] for a global view). */
export function keyFieldsOf(def: Pick<ViewDef, 'key'>): readonly string[] {
  return def.key === undefined ? [] : typeof def.key === 'string' ? [def.key] : def.key;
}
