import type { MeasureResult } from '../shared/compute/aggregate.ts';
import type { CompiledMeasure } from '../shared/compute/measure.ts';
import { measureKindOf } from '../shared/compute/measure-kind-of.ts';

/**
 * Whether a mode's answer for a measure counts as the truth's: equal, except for an estimating
 * kind (count_distinct_hll), which must be within the tolerance its kind states around the
 * truth's exact value (`ObjectKind.tolerance`). top_k lists are equal entry by entry (value and
 * count, in order).
 */
export function measureResultMatches(m: Pick<CompiledMeasure, 'op' | 'k' | 'precision'>, mode: MeasureResult | undefined, truth: MeasureResult | undefined): boolean {
  if (mode === truth) return true;
  if (Array.isArray(mode) && Array.isArray(truth)) {
    const a = mode as readonly { value: unknown; count: unknown }[];
    const b = truth as readonly { value: unknown; count: unknown }[];
    return a.length === b.length && a.every((e, i) => e.value === b[i].value && e.count === b[i].count);
  }
  const tolerance = measureKindOf(m)?.object?.tolerance;
  return tolerance !== undefined && typeof mode === 'number' && typeof truth === 'number' && Math.abs(mode - truth) <= tolerance(truth);
}
