import { ConfigError } from '../shared/errors.ts';
import type { ValidationLimits } from '../shared/model/validation.ts';
import { formatEventTime } from './event-time-format.ts';
import type { Random } from './random.ts';

/** The ways to break a record that need nothing of its schema but the event time field; each is rejected by the shared validator. */
export type RecordMalformation = 'broken_json' | 'not_an_object' | 'far_future' | 'before_2000' | 'oversized';

/** How a pipeline's generator breaks records: which kinds, how often, and the breaks of its own fields. */
export interface Malformer<M extends string = string> {
  /** Every kind it makes (record-level ones included) with its weight among malformed records. */
  readonly weights: readonly (readonly [M | RecordMalformation, number])[];
  /**
   * Breaks fields of `o` the way `kind` says, and says whether it did: false leaves the kind to
   * the record-level breaks here. Called for every malformed record right after its kind is
   * drawn, so a draw the generator makes for every kind belongs at its start.
   */
  breakFields(rng: Random, kind: M | RecordMalformation, o: Record<string, unknown>): boolean;
}

/** What the record-level breaks need: the record's append time ("far future" is judged against it, as the validator does), the limits and the event time field. */
export interface MalformContext {
  readonly appendTime: number;
  readonly limits: ValidationLimits;
  readonly timeField: string;
}

/** Breaks a good record (its wire fields, in order) the way buggy producers do: one kind drawn by the malformer's weights. */
export function malformRecord<M extends string>(rng: Random, wire: Readonly<Record<string, unknown>>, ctx: MalformContext, malformer: Malformer<M>): { malformation: M | RecordMalformation; value: string } {
  const malformation = rng.weighted(malformer.weights);
  const o: Record<string, unknown> = { ...wire };
  if (malformer.breakFields(rng, malformation, o)) return { malformation, value: JSON.stringify(o) };
  switch (malformation as RecordMalformation) {
    case 'broken_json':
      return { malformation, value: breakJson(rng, JSON.stringify(o)) };
    case 'not_an_object':
      return { malformation, value: JSON.stringify(rng.chance(0.5) ? Object.values(o) : JSON.stringify(o)) };
    case 'far_future':
      o[ctx.timeField] = new Date(ctx.appendTime + ctx.limits.maxFutureSkewMs + rng.int(60_000, 30 * 86_400_000)).toISOString();
      break;
    case 'before_2000':
      o[ctx.timeField] = formatEventTime(rng, rng.int(0, ctx.limits.minEventTime - 1));
      break;
    case 'oversized':
      o.debug_payload = 'x'.repeat(ctx.limits.maxRecordBytes + rng.int(1, 4_096));
      break;
    default:
      throw new ConfigError(`the workload's malformer left kind ${malformation} unbroken: its breakFields must break every kind of its weights that is not record-level`);
  }
  return { malformation, value: JSON.stringify(o) };
}

function breakJson(rng: Random, json: string): string {
  switch (rng.int(0, 2)) {
    case 0:
      // Any proper prefix of an object's JSON is unterminated: a producer cut off mid-write.
      return json.slice(0, rng.int(1, json.length - 1));
    case 1:
      return `${json.slice(0, -1)},}`;
    default:
      return json.replace('"', "'");
  }
}
