import { ConfigError, NotFoundError } from '../errors.ts';
import type { Event } from '../model/event.ts';
import { checkSchema, type EventSchema } from '../model/event-schema.ts';
import { compileValidator, DEFAULT_LIMITS, type EventValidator, type ValidationLimits } from '../model/validation.ts';
import { HOUR_MS } from '../time/bucket.ts';
import { checkFixedWindow } from '../time/fixed-window.ts';
import { checkSessionWindow } from '../time/session-window.ts';
import type { LatenessPolicy } from '../time/watermark.ts';
import { compileAlertRules, type AlertRule, type CompiledAlertRule } from './alert-rule.ts';
import { compileAggregate, type Aggregate } from './aggregate.ts';
import type { Expr } from './expression/expression.ts';
import type { WorkloadGenerator } from './workload-generator.ts';
import { expressionJs } from './expression/expression-js.ts';
import { parseExpression } from './expression/parse-expression.ts';
import { resolveExpression } from './expression/resolve-expression.ts';
import { escapeKeyPart, KEY_SEPARATOR } from './key-encoding.ts';
import { compileMeasure, type CompiledMeasure } from './measure.ts';
import { GLOBAL_KEY, keyFieldsOf, type ViewDef } from './view-def.ts';
import { compileQuality, type CompiledQuality } from './view-quality.ts';

/** Everything that defines the transform. Batch, speed and replay all run exactly this. */
export interface PipelineConfig {
  /** The events: their fields, validation, and which fields are the id, the time and the log key. */
  readonly schema: EventSchema;
  readonly views: readonly ViewDef[];
  /** Alert rules over the views' final windows (alert-rule.ts); absent is none. */
  readonly alerts?: readonly AlertRule[];
  readonly lateness: LatenessPolicy;
  /** Batch bucket size (the batch layer's unit and the horizon's step). Must be a whole number of hours' divisor of a day. */
  readonly bucketMs: number;
  /** How long (event time behind the watermark) an event id is remembered for dedup. >= maxOutOfOrderness + allowedLateness. */
  readonly dedupRetentionMs: number;
  readonly limits: ValidationLimits;
  /** The pipeline's workload generator, if it has one (the demo and `lk generate` need it). */
  readonly workload?: WorkloadGenerator;
}

/** An event more than 5 s ahead of its append time moves the watermark only to append time + 5 s. */
export const DEFAULT_LATENESS: LatenessPolicy = { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: 5_000, idleTimeoutMs: 10 * 60_000 };

/** The platform's defaults for what a pipeline definition leaves out. */
export const PIPELINE_DEFAULTS = { lateness: DEFAULT_LATENESS, bucketMs: HOUR_MS, dedupRetentionMs: 15 * 60_000, limits: DEFAULT_LIMITS } as const;

/** A view with its aggregate compiled and its key and filter as functions. */
export interface CompiledView {
  readonly def: ViewDef;
  readonly name: string;
  readonly index: number;
  readonly aggregate: Aggregate;
  /** The key fields ([] for a global view). */
  readonly keyFields: readonly string[];
  /** The resolved filter; absent when the view takes every event. */
  readonly filter?: Expr;
  readonly measures: readonly CompiledMeasure[];
  /** The batch quality gate's bounds (view-quality.ts). */
  readonly quality: CompiledQuality;
  /** The pipeline's schema (the SQL twins read its column names). */
  readonly schema: EventSchema;
  keyOf(e: Event): string;
  accepts(e: Event): boolean;
  /** The event time (the schema's time field). */
  timeOf(e: Event): number;
}

export interface Pipeline {
  readonly config: PipelineConfig;
  readonly views: readonly CompiledView[];
  /** The alert rules, compiled against the views' measures. */
  readonly alerts: readonly CompiledAlertRule[];
  /** The schema's validator, with the config's limits. */
  readonly validator: EventValidator;
  idOf(e: Event): string;
  timeOf(e: Event): number;
  /** The value of the schema's log key, as the text ingest partitions by. */
  logKeyOf(e: Event): string;
  view(name: string): CompiledView;
}

/** A view name the pipeline does not define (a NotFoundError, so HTTP answers 404). */
export class UnknownViewError extends NotFoundError {
  constructor(name: string, known: readonly string[]) {
    super(`unknown view "${name}"; known views: ${known.join(', ')}`);
  }
}

/** A field read, as a generated function: a keyed read with a constant name is as fast as a property. */
function reader<T>(field: string): (e: Event) => T {
  return new Function('e', `return e[${JSON.stringify(field)}];`) as (e: Event) => T;
}

/** Checks the config and compiles it; throws with what to change when something cannot work. */
export function compilePipeline(config: PipelineConfig): Pipeline {
  const { lateness, bucketMs, dedupRetentionMs, schema } = config;
  if (!(lateness.maxOutOfOrdernessMs >= 0 && lateness.allowedLatenessMs >= 0)) throw new ConfigError('lateness bounds must be >= 0 ms');
  if (!(lateness.maxAheadOfAppendMs >= 0 && lateness.maxAheadOfAppendMs <= lateness.maxOutOfOrdernessMs + lateness.allowedLatenessMs)) {
    // A larger tolerance would let one event dated ahead of its append time make the next on-time events too late.
    throw new ConfigError('lateness.maxAheadOfAppendMs must be from 0 to maxOutOfOrderness + allowedLateness ms');
  }
  if (lateness.idleTimeoutMs !== undefined && !(lateness.idleTimeoutMs > 0)) throw new ConfigError('lateness.idleTimeoutMs must be > 0 ms (leave it out for partitions that are never idle)');
  if (!(Number.isInteger(bucketMs) && bucketMs > 0 && 86_400_000 % bucketMs === 0)) throw new ConfigError(`bucketMs (${bucketMs}) must divide a day`);
  if (dedupRetentionMs < lateness.maxOutOfOrdernessMs + lateness.allowedLatenessMs) {
    throw new ConfigError('dedupRetentionMs must be at least maxOutOfOrderness + allowedLateness, or late duplicates would be counted twice');
  }
  checkSchema(schema);
  const timeOf = reader<number>(schema.time);
  const names = new Set<string>();
  if (config.views.length === 0) throw new ConfigError('a pipeline needs at least one view');
  const views = config.views.map((def, index): CompiledView => {
    if (!/^[a-z][a-z0-9_]*$/.test(def.name)) throw new ConfigError(`view name "${def.name}" must be snake_case`);
    if (names.has(def.name)) throw new ConfigError(`view "${def.name}" is defined twice`);
    names.add(def.name);
    if (def.window.kind === 'session') checkSessionWindow(def.name, def.window);
    else checkFixedWindow(def.name, def.window);
    const keyFields = keyFieldsOf(def);
    for (const k of keyFields) {
      const f = schema.fields[k];
      if (!f) throw new ConfigError(`view ${def.name}, key: no field ${k} in the schema (fields: ${Object.keys(schema.fields).join(', ')})`);
      if ((f.presence ?? 'required') !== 'required') throw new ConfigError(`view ${def.name}, key: ${k} must be a required field (an absent key has no value to group by)`);
    }
    if (new Set(keyFields).size !== keyFields.length) throw new ConfigError(`view ${def.name}, key: a field is named twice`);
    let filter: Expr | undefined;
    if (def.filter !== undefined) {
      const where = `view ${def.name}, filter`;
      const r = resolveExpression(parseExpression(def.filter, where), schema.fields, where);
      if (r.type.type !== 'boolean') throw new ConfigError(`${where}: must be a condition, ${def.filter} is a ${r.type.type}`);
      filter = r.expr;
    }
    if (def.measures.length === 0) throw new ConfigError(`view ${def.name}: declare at least one measure`);
    const measures = def.measures.map((m) => compileMeasure(m, schema.fields, def.name));
    const measureNames = new Set(measures.map((m) => m.name));
    if (measureNames.size !== measures.length) throw new ConfigError(`view ${def.name}: two measures share a name`);
    const quality = compileQuality(def.name, def.quality, measures);
    return {
      def,
      name: def.name,
      index,
      aggregate: compileAggregate(measures, schema.time),
      keyFields,
      filter,
      measures,
      quality,
      schema,
      keyOf: compileKeyOf(keyFields, schema),
      accepts: filter ? (new Function('e', `return ${expressionJs(filter, 'e')};`) as (e: Event) => boolean) : () => true,
      timeOf,
    };
  });
  const byName = new Map(views.map((v) => [v.name, v]));
  const logKey = reader<string>(schema.logKey);
  return {
    config,
    views,
    alerts: compileAlertRules(config.alerts ?? [], views.map((v) => ({ name: v.name, measures: v.measures }))),
    validator: compileValidator(schema, config.limits),
    idOf: reader<string>(schema.id),
    timeOf,
    logKeyOf: logKey,
    view(name) {
      const v = byName.get(name);
      if (!v) throw new UnknownViewError(name, [...byName.keys()]);
      return v;
    },
  };
}

/** The generated `keyOf` of key fields (key-encoding.ts's rule): a text field's value is its key as is. */
function compileKeyOf(keyFields: readonly string[], schema: EventSchema): (e: Event) => string {
  if (keyFields.length === 0) return () => GLOBAL_KEY;
  const read = (k: string) => `e[${JSON.stringify(k)}]`;
  if (keyFields.length === 1) {
    const f = schema.fields[keyFields[0]];
    return new Function('e', `return ${f.type === 'string' || f.type === 'enum' ? read(keyFields[0]) : `String(${read(keyFields[0])})`};`) as (e: Event) => string;
  }
  const parts = keyFields.map((k) => `esc(${read(k)})`).join(` + ${JSON.stringify(KEY_SEPARATOR)} + `);
  return new Function('esc', `return (e) => ${parts};`)(escapeKeyPart) as (e: Event) => string;
}
