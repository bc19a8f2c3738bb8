import type { PipelineConfig } from '../shared/compute/pipeline.ts';
import { BadRequestError } from '../shared/errors.ts';

/**
 * The knobs every seeded workload generator shares (messyWorkload); a pipeline's generator adds
 * its own (how many users, cards, drivers). Fractions are of all records sent and exclude each other.
 */
export interface WorkloadOptions {
  readonly seed: number;
  /** Records to send. Give this or `ratePerSecond`. */
  readonly events?: number;
  /** Records per second of processing time; with `spanMs` it gives the record count. */
  readonly ratePerSecond?: number;
  /** Processing time of the first record (epoch ms); event times trail processing times. */
  readonly startTime: number;
  /** Processing-time span of the run: append timestamps spread over [startTime, startTime + spanMs). */
  readonly spanMs: number;
  /** Largest delay between an event happening and its record being sent (every event has one). */
  readonly eventDelayMaxMs: number;
  /** Events shifted further into the past, but still within the allowed lateness. */
  readonly outOfOrderFraction: number;
  readonly outOfOrderMaxMs: number;
  /** Events older than the watermark minus the allowed lateness when they arrive. */
  readonly tooLateFraction: number;
  /** How much later than the lateness bound a too-late event is, at most (a random extra from 1 ms). */
  readonly tooLateExtraMaxMs: number;
  /** Exact copies of an earlier record (same event_id, value and key), re-sent a little later. */
  readonly duplicateFraction: number;
  /** How much later (processing time) a duplicate is re-sent, at most. */
  readonly duplicateMaxDelayMs: number;
  /** Records every validator must reject: a mix of kinds (see malformed-record.ts and the pipeline's malformer). */
  readonly malformedFraction: number;
}

/** Options with the record count worked out. */
export interface ResolvedWorkloadOptions extends WorkloadOptions {
  readonly events: number;
}

/** The defaults: two hours, with a little of every kind of trouble. */
export const DEFAULT_WORKLOAD: WorkloadOptions & { readonly events: number } = {
  seed: 42,
  events: 100_000,
  startTime: Date.UTC(2026, 0, 1, 9, 0, 0),
  spanMs: 2 * 3_600_000,
  eventDelayMaxMs: 2_000,
  outOfOrderFraction: 0.05,
  outOfOrderMaxMs: 30_000,
  tooLateFraction: 0.002,
  tooLateExtraMaxMs: 10 * 60_000,
  duplicateFraction: 0.01,
  duplicateMaxDelayMs: 30_000,
  malformedFraction: 0.005,
};

/** Limits on the record count, so a typo cannot ask for a day of generation. */
export const MAX_WORKLOAD_EVENTS = 100_000_000;

/**
 * Fills in defaults and checks the knobs against the pipeline's lateness policy, so the record
 * kinds mean what they say: an on-time or out-of-order event is never too late, a too-late one
 * always is, and a duplicate always arrives while the stream still remembers its id.
 */
export function resolveWorkloadOptions(options: Partial<WorkloadOptions>, config: PipelineConfig): ResolvedWorkloadOptions {
  const o = { ...DEFAULT_WORKLOAD, ...options, events: options.events ?? DEFAULT_WORKLOAD.events };
  if (options.events !== undefined && options.ratePerSecond !== undefined) {
    throw new BadRequestError('events', 'give either events or ratePerSecond (with spanMs), not both');
  }
  const events = options.ratePerSecond !== undefined ? Math.round((options.ratePerSecond * o.spanMs) / 1000) : o.events;
  if (options.ratePerSecond !== undefined) positive('ratePerSecond', options.ratePerSecond);
  wholeNumber('seed', o.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  wholeNumber('events', events, 1, MAX_WORKLOAD_EVENTS);
  wholeNumber('startTime', o.startTime, 0, 8_640_000_000_000);
  wholeNumber('spanMs', o.spanMs, 1, 366 * 86_400_000);
  for (const name of ['eventDelayMaxMs', 'outOfOrderMaxMs', 'tooLateExtraMaxMs', 'duplicateMaxDelayMs'] as const) {
    wholeNumber(name, o[name], 0, 366 * 86_400_000);
  }
  let fractions = 0;
  for (const name of ['outOfOrderFraction', 'tooLateFraction', 'duplicateFraction', 'malformedFraction'] as const) {
    const f = o[name];
    if (!(Number.isFinite(f) && f >= 0 && f <= 1)) throw new BadRequestError(name, `must be a fraction from 0 to 1, got ${f}`);
    fractions += f;
  }
  if (fractions > 1) throw new BadRequestError('fractions', `out-of-order + too-late + duplicate + malformed fractions add up to ${fractions}; keep the sum at most 1`);

  const { maxOutOfOrdernessMs, allowedLatenessMs } = config.lateness;
  const bound = maxOutOfOrdernessMs + allowedLatenessMs;
  if (o.eventDelayMaxMs + o.outOfOrderMaxMs > bound) {
    throw new BadRequestError(
      'outOfOrderMaxMs',
      `eventDelayMaxMs + outOfOrderMaxMs (${o.eventDelayMaxMs + o.outOfOrderMaxMs} ms) must be at most maxOutOfOrderness + allowedLateness (${bound} ms), or out-of-order events would be too late; use tooLateFraction for those`,
    );
  }
  if (o.tooLateFraction > 0 && o.tooLateExtraMaxMs < 1) throw new BadRequestError('tooLateExtraMaxMs', 'must be at least 1 ms when tooLateFraction > 0');
  // The stream forgets an id once its event time is dedupRetention behind the watermark; a copy
  // re-sent later than this could be counted twice by the stream (never by the batch or the truth).
  const dupLimit = config.dedupRetentionMs - allowedLatenessMs;
  if (o.duplicateMaxDelayMs > dupLimit) {
    throw new BadRequestError('duplicateMaxDelayMs', `must be at most dedupRetention - allowedLateness (${dupLimit} ms) so the stream still remembers the id`);
  }
  if (o.startTime - o.eventDelayMaxMs - o.outOfOrderMaxMs < config.limits.minEventTime) {
    throw new BadRequestError('startTime', `must be after ${new Date(config.limits.minEventTime).toISOString()} (the validator rejects earlier event times)`);
  }
  return { ...o, events };
}

/** A generator's own count knob (users, cards, drivers): `fallback` when absent, else a whole number from 1 to 10,000,000. */
export function countOption(options: Readonly<Record<string, unknown>>, name: string, fallback: number): number {
  const v = options[name] ?? fallback;
  if (typeof v !== 'number') throw new BadRequestError(name, `must be a whole number from 1 to 10000000, got ${String(v)}`);
  wholeNumber(name, v, 1, 10_000_000);
  return v;
}

function wholeNumber(name: string, v: number, min: number, max: number): void {
  if (!(Number.isInteger(v) && v >= min && v <= max)) throw new BadRequestError(name, `must be a whole number from ${min} to ${max}, got ${v}`);
}

function positive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new BadRequestError(name, `must be a positive number, got ${v}`);
}
