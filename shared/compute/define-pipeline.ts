import type { AlertRule } from './alert-rule.ts';
import type { EventSchema, FieldSpecs } from '../model/event-schema.ts';
import type { ValidationLimits } from '../model/validation.ts';
import type { Window, WindowSpec } from '../time/window.ts';
import type { LatenessPolicy } from '../time/watermark.ts';
import type { MeasureResults } from './aggregate.ts';
import type { MeasureOp } from './measure.ts';
import { PIPELINE_DEFAULTS, type PipelineConfig } from './pipeline.ts';
import type { PresentedValues, ViewDef } from './view-def.ts';
import type { ViewQuality } from './view-quality.ts';
import type { WorkloadGenerator } from './workload-generator.ts';

/**
 * A pipeline as its user writes it: the event schema, the views over it, and optionally the
 * lateness policy, bucket size, dedup retention and record limits (the platform's defaults
 * otherwise). `definePipeline` returns it unchanged; its types make an editor complete field
 * names and the compiler reject a key, filter field or measure input the schema lacks.
 */
export interface PipelineDefinition<F extends FieldSpecs = FieldSpecs> {
  readonly schema: EventSchema<F, keyof F & string>;
  readonly views: readonly ViewDefinition<keyof F & string>[];
  /** Alert rules over the views' final windows (alert-rule.ts); none when absent. */
  readonly alerts?: readonly AlertRule[];
  readonly lateness?: Partial<LatenessPolicy>;
  readonly bucketMs?: number;
  readonly dedupRetentionMs?: number;
  readonly limits?: Partial<ValidationLimits>;
  /** A seeded generator of test records (see WorkloadGenerator). */
  readonly workload?: WorkloadGenerator;
}

/** A view over the fields named N (ViewDef with its field references typed). */
export interface ViewDefinition<N extends string = string> {
  readonly name: string;
  readonly description: string;
  readonly key?: N | readonly N[];
  readonly filter?: string;
  readonly window: WindowSpec;
  readonly measures: readonly MeasureDefinition[];
  /** The batch quality gate's bounds for this view; `nonNegative` names measures of this view (checked by the compiler too). */
  readonly quality?: ViewQuality;
  /** See ViewDef.present; absent: the measures as they are. */
  present?(m: MeasureResults, w: Window): PresentedValues;
}

export interface MeasureDefinition {
  readonly name: string;
  readonly op: MeasureOp;
  readonly input?: string;
  readonly filter?: string;
  /** top_k: how many values to show (required there). */
  readonly k?: number;
  /** count_distinct_hll: 2^precision registers (4 to 16, default 12). */
  readonly precision?: number;
}

/** Declares a pipeline: identity at runtime, checked field names at compile time (see PipelineDefinition). */
export function definePipeline<const F extends FieldSpecs, const V extends readonly ViewDefinition<keyof F & string>[]>(
  def: Omit<PipelineDefinition<F>, 'views'> & { readonly views: V & CheckedViews<V, keyof F & string> },
): PipelineDefinition<F> {
  return def as PipelineDefinition<F>;
}

/** The PipelineConfig a definition stands for: its settings over the platform's defaults, `overrides` last. */
export function pipelineConfigOf<F extends FieldSpecs>(def: PipelineDefinition<F>, overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return {
    schema: def.schema,
    views: def.views as readonly ViewDef[],
    alerts: def.alerts ?? [],
    lateness: { ...PIPELINE_DEFAULTS.lateness, ...def.lateness },
    bucketMs: def.bucketMs ?? PIPELINE_DEFAULTS.bucketMs,
    dedupRetentionMs: def.dedupRetentionMs ?? PIPELINE_DEFAULTS.dedupRetentionMs,
    limits: { ...PIPELINE_DEFAULTS.limits, ...def.limits },
    workload: def.workload,
    ...overrides,
  };
}

// ---- Compile-time checks of the expressions' field names --------------------------------------
// A best-effort reading of the expression text by the type checker: quoted strings dropped, the rest
// cut at operators and spaces; a word that is not a keyword, a number or a field is an error. The
// runtime parser (parse-expression.ts) stays the authority, with messages naming the view.

type Keyword = 'and' | 'or' | 'not' | 'in' | 'true' | 'false';
type Separator = ' ' | '\n' | '\t' | '(' | ')' | ',' | '=' | '<' | '>' | '!' | '+' | '-' | '*';
type WithoutStrings<S extends string> = S extends `${infer A}'${string}'${infer B}` ? WithoutStrings<`${A} ${B}`> : S;
type Words<S extends string, Word extends string = '', Out extends string = never> = S extends `${infer C}${infer Rest}`
  ? C extends Separator
    ? Words<Rest, '', Out | Word>
    : Words<Rest, `${Word}${C}`, Out>
  : Out | Word;
type UnknownWords<S extends string, N extends string> = Exclude<Words<WithoutStrings<S>>, '' | N | `${number}` | Keyword | Uppercase<Keyword>>;

/** The problem with an expression's field names, as a message type; never when there is none (or the text is not a literal type). */
export type ExpressionProblem<S, Where extends string, N extends string> = S extends string
  ? string extends S
    ? never
    : [UnknownWords<S, N>] extends [never]
      ? never
      : `${Where}: no field ${UnknownWords<S, N>} in the schema`
  : never;

type MeasureProblems<M, N extends string> = {
  [I in keyof M]: M[I] extends MeasureDefinition ? ExpressionProblem<M[I]['input'], `measure ${M[I]['name']} input`, N> | ExpressionProblem<M[I]['filter'], `measure ${M[I]['name']} filter`, N> : never;
}[keyof M & number];

/** A name in `quality.nonNegative` that is none of the view's measures. */
type QualityProblems<View> = View extends { readonly quality: { readonly nonNegative: readonly (infer Q)[] }; readonly measures: readonly (infer M)[] }
  ? Q extends string
    ? string extends Q
      ? never
      : Exclude<Q, M extends { readonly name: infer X } ? X : never> extends infer U extends string
        ? [U] extends [never]
          ? never
          : `view ${View extends { readonly name: infer V extends string } ? V : string} quality.nonNegative: no measure ${U}`
        : never
    : never
  : never;

type ViewProblems<View, N extends string> = View extends ViewDefinition<N>
  ? ExpressionProblem<View['filter'], `view ${View['name']} filter`, N> | MeasureProblems<View['measures'], N> | QualityProblems<View>
  : never;

/**
 * Each view intersected with nothing when its expressions name only fields of N, and otherwise
 * with a required property named after the problem, so the compiler's error reads
 * "Property 'view revenue filter: no field pric in the schema' is missing".
 */
type CheckedViews<V, N extends string> = {
  readonly [I in keyof V]: [ViewProblems<V[I], N>] extends [never] ? unknown : { readonly [P in ViewProblems<V[I], N>]: never };
};
