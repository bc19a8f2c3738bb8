import { createHash } from 'node:crypto';
import type { WindowSpec } from '../time/window.ts';
import type { Expr } from './expression/expression.ts';
import type { CompiledMeasure } from './measure.ts';
import type { Pipeline } from './pipeline.ts';

/**
 * What a view's panes mean: stored panes (the batch layer's published ones, a savepoint's) are
 * only usable by a pipeline whose view has the same signature. Filter and measures in their
 * resolved form, so a changed decimal scale changes the signature; the view's description and
 * presentation do not (they change no pane).
 */
export interface ViewSignature {
  readonly key: readonly string[];
  readonly filter: Expr | null;
  readonly window: WindowSpec;
  readonly measures: readonly CompiledMeasure[];
}

/** The parts of a signature, in the order a change is reported. */
export type SignaturePart = keyof ViewSignature;
const PARTS: readonly SignaturePart[] = ['key', 'filter', 'window', 'measures'];

/** The signature of every view of a pipeline. */
export function viewSignatures(pipeline: Pipeline): Record<string, ViewSignature> {
  const out: Record<string, ViewSignature> = {};
  for (const v of pipeline.views) {
    out[v.name] = { key: v.keyFields, filter: v.filter ?? null, window: v.def.window, measures: v.measures };
  }
  return out;
}

/** Whether two signatures describe the same panes. */
export function sameSignature(a: ViewSignature | undefined, b: ViewSignature | undefined): boolean {
  return a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);
}

/** Whether two sets of views are the same views with the same signatures. */
export function sameViews(a: Readonly<Record<string, ViewSignature>>, b: Readonly<Record<string, ViewSignature>>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((n) => sameSignature(a[n], b[n]));
}

/** The parts in which two signatures differ (none: the same panes). */
export function signatureChanges(before: ViewSignature, after: ViewSignature): SignaturePart[] {
  return PARTS.filter((p) => canonicalJson(before[p]) !== canonicalJson(after[p]));
}

/** A short, stable name of a signature (the first 16 hex digits of the SHA-256 of its canonical JSON): equal signatures, equal fingerprints. */
export function viewFingerprint(signature: ViewSignature): string {
  return createHash('sha256').update(canonicalJson(signature)).digest('hex').slice(0, 16);
}

// Key order must not matter: a definition read back from JSON may list fields in another order.
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
