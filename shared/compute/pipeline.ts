import { ConfigError, NotFoundError } from '../errors.ts';
import type { Event } from '../model/event.ts';
import { DEFAULT_LIMITS, type ValidationLimits } from '../model/validation.ts';
import { HOUR_MS } from '../time/bucket.ts';
import { checkFixedWindow } from '../time/fixed-window.ts';
import { checkSessionWindow } from '../time/session-window.ts';
import type { LatenessPolicy } from '../time/watermark.ts';
import { compileAggregate, type Aggregate } from './aggregate.ts';
import { DEFAULT_VIEW_OPTIONS, referenceViews } from './reference-views.ts';
import { GLOBAL_KEY, type ViewDef } from './view-def.ts';

/** Everything that defines the transform. Batch, speed and replay all run exactly this. */
export interface PipelineConfig {
  readonly views: readonly ViewDef[];
  readonly lateness: LatenessPolicy;
  /** Batch bucket size (the batch layer's unit and the horizon's step). Must be a whole number of hours' divisor of a day. */
  readonly bucketMs: number;
  /** How long (event time behind the watermark) an event_id is remembered for dedup. >= maxOutOfOrderness + allowedLateness. */
  readonly dedupRetentionMs: number;
  readonly limits: ValidationLimits;
}

/** An event more than 5 s ahead of its append time moves the watermark only to append time + 5 s. */
export const DEFAULT_LATENESS: LatenessPolicy = { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: 5_000, idleTimeoutMs: 10 * 60_000 };

export function defaultPipelineConfig(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return {
    views: referenceViews(DEFAULT_VIEW_OPTIONS),
    lateness: DEFAULT_LATENESS,
    bucketMs: HOUR_MS,
    dedupRetentionMs: 15 * 60_000,
    limits: DEFAULT_LIMITS,
    ...overrides,
  };
}

/** A view with its aggregate compiled and its key and filter as functions. */
export interface CompiledView {
  readonly def: ViewDef;
  readonly name: string;
  readonly index: number;
  readonly aggregate: Aggregate;
  keyOf(e: Event): string;
  accepts(e: Event): boolean;
}

export interface Pipeline {
  readonly config: PipelineConfig;
  readonly views: readonly CompiledView[];
  view(name: string): CompiledView;
}

/** A view name the pipeline does not define (a NotFoundError, so HTTP answers 404). */
export class UnknownViewError extends NotFoundError {
  constructor(name: string, known: readonly string[]) {
    super(`unknown view "${name}"; known views: ${known.join(', ')}`);
  }
}

/** Checks the config and compiles it; throws with what to change when something cannot work. */
export function compilePipeline(config: PipelineConfig): Pipeline {
  const { lateness, bucketMs, dedupRetentionMs } = config;
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
  const names = new Set<string>();
  const views = config.views.map((def, index): CompiledView => {
    if (!/^[a-z][a-z0-9_]*$/.test(def.name)) throw new ConfigError(`view name "${def.name}" must be snake_case`);
    if (names.has(def.name)) throw new ConfigError(`view "${def.name}" is defined twice`);
    names.add(def.name);
    if (def.window.kind === 'session') checkSessionWindow(def.name, def.window);
    else checkFixedWindow(def.name, def.window);
    const field = def.keyField;
    const types = def.eventTypes ? new Set(def.eventTypes) : undefined;
    return {
      def,
      name: def.name,
      index,
      aggregate: compileAggregate(def.measures),
      keyOf: field === null ? () => GLOBAL_KEY : (e) => e[field],
      accepts: types ? (e) => types.has(e.event_type) : () => true,
    };
  });
  const byName = new Map(views.map((v) => [v.name, v]));
  return {
    config,
    views,
    view(name) {
      const v = byName.get(name);
      if (!v) throw new UnknownViewError(name, [...byName.keys()]);
      return v;
    },
  };
}
