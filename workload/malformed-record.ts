import type { ValidationLimits } from '../shared/model/validation.ts';
import { formatEventTime } from './event-time-format.ts';
import type { Random } from './random.ts';

/** The ways the generator breaks a record; each one is rejected by the shared validator. */
export type Malformation =
  | 'broken_json'
  | 'not_an_object'
  | 'missing_field'
  | 'wrong_type'
  | 'negative_price'
  | 'too_many_decimals'
  | 'far_future'
  | 'before_2000'
  | 'unknown_event_type'
  | 'oversized';

/** How often each kind appears among malformed records; oversized ones are rare because they are big. */
export const MALFORMATION_WEIGHTS: readonly (readonly [Malformation, number])[] = [
  ['broken_json', 2],
  ['not_an_object', 0.5],
  ['missing_field', 2],
  ['wrong_type', 2],
  ['negative_price', 1],
  ['too_many_decimals', 1],
  ['far_future', 1],
  ['before_2000', 1],
  ['unknown_event_type', 1],
  ['oversized', 0.25],
];

const UNKNOWN_TYPES = ['wishlist', 'refund', 'PageView', 'page-view', 'checkout'];

/**
 * Breaks a good record (its wire fields, in order) the way buggy producers do. `appendTime` is the
 * record's log timestamp: "far future" is judged against it, as the validator does.
 */
export function malformRecord(rng: Random, wire: Readonly<Record<string, unknown>>, appendTime: number, limits: ValidationLimits): { malformation: Malformation; value: string } {
  const malformation = rng.weighted(MALFORMATION_WEIGHTS);
  const o: Record<string, unknown> = { ...wire };
  const priced = typeof o.price === 'number' ? o.price : rng.int(1, 50_000) / 100;
  switch (malformation) {
    case 'broken_json':
      return { malformation, value: breakJson(rng, JSON.stringify(o)) };
    case 'not_an_object':
      return { malformation, value: JSON.stringify(rng.chance(0.5) ? Object.values(o) : JSON.stringify(o)) };
    case 'missing_field': {
      const fields = ['event_id', 'event_type', 'user_id', 'product_id', 'event_time'];
      if (o.event_type === 'add_to_cart' || o.event_type === 'purchase') fields.push('price', 'quantity');
      delete o[rng.pick(fields)];
      break;
    }
    case 'wrong_type':
      wrongType(rng, o);
      break;
    case 'negative_price':
      o.price = -priced;
      break;
    case 'too_many_decimals':
      // A third decimal digit that is not zero: 19.99 becomes e.g. 19.993.
      o.price = (Math.round(priced * 100) * 10 + rng.int(1, 9)) / 1000;
      break;
    case 'far_future':
      o.event_time = new Date(appendTime + limits.maxFutureSkewMs + rng.int(60_000, 30 * 86_400_000)).toISOString();
      break;
    case 'before_2000':
      o.event_time = formatEventTime(rng, rng.int(0, limits.minEventTime - 1));
      break;
    case 'unknown_event_type':
      o.event_type = rng.pick(UNKNOWN_TYPES);
      break;
    case 'oversized':
      o.debug_payload = 'x'.repeat(limits.maxRecordBytes + rng.int(1, 4_096));
      break;
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

function wrongType(rng: Random, o: Record<string, unknown>): void {
  switch (rng.int(0, 5)) {
    case 0:
      o.user_id = rng.int(1, 1_000_000);
      break;
    case 1:
      o.event_id = rng.int(1, 1_000_000);
      break;
    case 2:
      o.product_id = { id: o.product_id };
      break;
    case 3:
      o.quantity = String(typeof o.quantity === 'number' ? o.quantity : 1);
      break;
    case 4:
      o.price = String(typeof o.price === 'number' ? o.price : 9.99);
      break;
    default:
      o.event_time = true;
  }
}
