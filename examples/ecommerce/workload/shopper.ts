import type { EventType } from '../pipeline.ts';
import type { Catalog, Product } from './catalog.ts';
import type { Random } from '../../../workload/random.ts';
import { randomUuid } from '../../../workload/random-uuid.ts';
import { nextActionDelay, type SessionTiming } from './session-timing.ts';

/** One event as a shopper produces it, before its time is set and it is written as JSON. */
export interface EventDraft {
  readonly event_id: string;
  readonly event_type: EventType;
  readonly user_id: string;
  readonly product_id: string;
  /** Null: the record carries no price (page views usually do not). */
  readonly price_cents: number | null;
  readonly quantity: number | null;
  readonly session_id: string;
}

const QUANTITIES: readonly (readonly [number, number])[] = [
  [1, 60],
  [2, 20],
  [3, 10],
  [4, 6],
  [5, 4],
];
const MAX_CART = 10;

/**
 * One simulated shopper: browses products by popularity, sometimes adds the product just viewed
 * to the cart, sometimes buys something from the cart. Every purchase empties a cart line, so
 * page views far outnumber carts, and carts outnumber purchases.
 */
export class Shopper {
  readonly id: string;
  /** When the shopper wants to act next (model time; the generator maps it onto the send order). */
  nextWake: number;
  #burst = 0;
  #lastViewed: Product | undefined;
  readonly #cart: Array<{ product: Product; quantity: number }> = [];

  constructor(id: string, firstWake: number) {
    this.id = id;
    this.nextWake = firstWake;
  }

  /** The shopper's next event. */
  act(rng: Random, catalog: Catalog): EventDraft {
    const base = { event_id: randomUuid(rng), user_id: this.id, session_id: `${this.id}-s${this.#burst}` };
    if (this.#cart.length > 0 && rng.chance(0.3)) {
      const [line] = this.#cart.splice(rng.int(0, this.#cart.length - 1), 1);
      return { ...base, event_type: 'purchase', product_id: line.product.id, price_cents: line.product.priceCents, quantity: line.quantity };
    }
    if (this.#lastViewed && rng.chance(0.2)) {
      const product = this.#lastViewed;
      const quantity = rng.weighted(QUANTITIES);
      if (this.#cart.length >= MAX_CART) this.#cart.shift();
      this.#cart.push({ product, quantity });
      return { ...base, event_type: 'add_to_cart', product_id: product.id, price_cents: product.priceCents, quantity };
    }
    const product = catalog.pick(rng);
    this.#lastViewed = product;
    return { ...base, event_type: 'page_view', product_id: product.id, price_cents: rng.chance(0.5) ? product.priceCents : null, quantity: null };
  }

  /** Moves `nextWake` to the shopper's next action: another click, or a break before the next burst. */
  scheduleNext(rng: Random, timing: SessionTiming): void {
    const step = nextActionDelay(rng, timing);
    if (step.newBurst) this.#burst++;
    // After a long break the shopper has usually forgotten what they were looking at.
    if (step.longBreak) this.#lastViewed = undefined;
    this.nextWake += step.delayMs;
  }
}
