import { ConfigError } from '../errors.ts';
import type { MeasureOp } from './measure.ts';

/**
 * A view's data-quality bounds, as its user writes them (`quality` of a view in definePipeline):
 * what the batch layer's gate (batch/quality-gate.ts) holds each published hour of the view to,
 * besides the checks that always run (pane file schema, files, row counts, nulls, window reach).
 * M is the view's measure names.
 */
export interface ViewQuality<M extends string = string> {
  /** Measures that can never be negative (revenue); counts are never negative whatever this says. */
  readonly nonNegative?: readonly M[];
  /** Largest share (0..1) of an hour's records the archiver dead-lettered (invalid) before the hour is rejected; unchecked when absent. */
  readonly maxDeadLetterShare?: number;
  /**
   * Largest relative change (|new - old| / max(|old|, 1); 0.1 = 10%) of a measure of a window's
   * part in an hour that a recompute of the hour may make against the published one before it is
   * rejected; a window that disappears is an unbounded change. Unchecked when absent.
   */
  readonly maxDrift?: number;
}

/** A view's quality bounds as the gate reads them: counts added to nonNegative, absent bounds null. */
export interface CompiledQuality {
  readonly nonNegative: readonly string[];
  readonly maxDeadLetterShare: number | null;
  readonly maxDrift: number | null;
}

/** Checks a view's quality bounds against its measures; a ConfigError names the view and the field. */
export function compileQuality(view: string, quality: ViewQuality | undefined, measures: readonly { readonly name: string; readonly op: MeasureOp }[]): CompiledQuality {
  const where = `view ${view}, quality`;
  const q = quality ?? {};
  if (typeof q !== 'object' || q === null) throw new ConfigError(`${where}: must be an object such as { nonNegative: ['revenue_cents'], maxDeadLetterShare: 0.01, maxDrift: 0.1 }`);
  const known = new Set(['nonNegative', 'maxDeadLetterShare', 'maxDrift']);
  for (const k of Object.keys(q)) if (!known.has(k)) throw new ConfigError(`${where}: unknown option ${k} (options: ${[...known].join(', ')})`);
  const names = measures.map((m) => m.name);
  if (q.nonNegative !== undefined && !Array.isArray(q.nonNegative)) throw new ConfigError(`${where}.nonNegative: must be a list of measure names`);
  for (const name of q.nonNegative ?? []) {
    if (!names.includes(name)) throw new ConfigError(`${where}.nonNegative: no measure ${String(name)} in the view (measures: ${names.join(', ')})`);
  }
  const bound = (field: 'maxDeadLetterShare' | 'maxDrift', max: number): number | null => {
    const v = q[field];
    if (v === undefined) return null;
    if (typeof v !== 'number' || !(v >= 0 && v <= max)) throw new ConfigError(`${where}.${field}: must be a number from 0 to ${max}, got ${String(v)}`);
    return v;
  };
  const counts = measures.filter((m) => m.op === 'count').map((m) => m.name);
  return {
    nonNegative: names.filter((n) => counts.includes(n) || (q.nonNegative ?? []).includes(n)),
    maxDeadLetterShare: bound('maxDeadLetterShare', 1),
    maxDrift: bound('maxDrift', Number.MAX_VALUE),
  };
}
