import type { Malformer, RecordMalformation } from '../../../workload/malformed-record.ts';
import type { Random } from '../../../workload/random.ts';

/** The ways the shop's generator breaks a record; each one is rejected by the shared validator. */
export type Malformation = RecordMalformation | 'missing_field' | 'wrong_type' | 'negative_price' | 'too_many_decimals' | 'unknown_event_type';

const UNKNOWN_TYPES = ['wishlist', 'refund', 'PageView', 'page-view', 'checkout'];

/**
 * The shop's malformed records. Oversized ones are rare because they are big. The weights' order
 * and the price drawn for every kind are part of what a seed gives: changing them changes every
 * seeded workload.
 */
export const SHOP_MALFORMER: Malformer<Malformation> = {
  weights: [
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
  ],
  breakFields(rng, kind, o) {
    const priced = typeof o.price === 'number' ? o.price : rng.int(1, 50_000) / 100;
    switch (kind) {
      case 'missing_field': {
        const fields = ['event_id', 'event_type', 'user_id', 'product_id', 'event_time'];
        if (o.event_type === 'add_to_cart' || o.event_type === 'purchase') fields.push('price', 'quantity');
        delete o[rng.pick(fields)];
        return true;
      }
      case 'wrong_type':
        wrongType(rng, o);
        return true;
      case 'negative_price':
        o.price = -priced;
        return true;
      case 'too_many_decimals':
        // A third decimal digit that is not zero: 19.99 becomes e.g. 19.993.
        o.price = (Math.round(priced * 100) * 10 + rng.int(1, 9)) / 1000;
        return true;
      case 'unknown_event_type':
        o.event_type = rng.pick(UNKNOWN_TYPES);
        return true;
      default:
        return false;
    }
  },
};

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
