import { randomUuid } from '../../../workload/random-uuid.ts';
import type { Random } from '../../../workload/random.ts';
import type { Payment } from '../pipeline.ts';
import type { Merchant, Merchants } from './merchants.ts';

/** One payment as a card makes it, before its time is set and it is written as JSON. */
export interface PaymentDraft {
  readonly tx_id: string;
  readonly card_id: string;
  readonly merchant: Merchant;
  readonly amount_cents: number;
  readonly currency: Payment['currency'];
}

/** When a card pays: mostly now and then, sometimes in a burst of quick payments (a shopping trip, or a fraudster testing the card). */
export interface CardTiming {
  /** Mean time between two payments of a card, over a run. */
  readonly cycleMs: number;
  /** Chance that the next payment comes in a burst, 2 to 20 s later. */
  readonly burstChance: number;
  /** Mean of the other gaps (exponential). */
  readonly quietMeanMs: number;
}

const BURST_CHANCE = 0.2;
const BURST_MIN_MS = 2_000;
const BURST_MAX_MS = 20_000;

/** Gaps such that `cards` cards together make about `events` payments over `spanMs`. */
export function calibrateCardTiming(cards: number, events: number, spanMs: number): CardTiming {
  const cycleMs = (cards * spanMs) / events;
  const burstMean = (BURST_MIN_MS + BURST_MAX_MS) / 2;
  return { cycleMs, burstChance: BURST_CHANCE, quietMeanMs: Math.max(1_000, (cycleMs - BURST_CHANCE * burstMean) / (1 - BURST_CHANCE)) };
}

const CURRENCY: Readonly<Record<string, Payment['currency']>> = { DE: 'EUR', FR: 'EUR', NL: 'EUR', GB: 'GBP', US: 'USD', CH: 'CHF', SE: 'SEK' };

/**
 * One simulated card: billed in the currency of its home country, it mostly pays at a few
 * favourite merchants (so distinct merchants per hour stay small for most cards) and sometimes
 * anywhere, amounts varying around the merchant's typical one.
 */
export class Card {
  readonly id: string;
  readonly currency: Payment['currency'];
  nextWake: number;
  readonly #favourites: readonly Merchant[];

  constructor(rng: Random, id: string, merchants: Merchants, firstWake: number) {
    this.id = id;
    const home = merchants.pick(rng).country;
    this.currency = CURRENCY[home] ?? 'EUR';
    this.#favourites = Array.from({ length: rng.int(2, 6) }, () => merchants.pick(rng));
    this.nextWake = firstWake;
  }

  /** The card's next payment. */
  pay(rng: Random, merchants: Merchants): PaymentDraft {
    const merchant = rng.chance(0.75) ? rng.pick(this.#favourites) : merchants.pick(rng);
    // Around the typical amount: from a third of it to three times it, at least one cent.
    const amount_cents = Math.max(1, Math.round(merchant.typicalCents * Math.exp((rng.next() * 2 - 1) * Math.log(3))));
    return { tx_id: randomUuid(rng), card_id: this.id, merchant, amount_cents, currency: this.currency };
  }

  /** Moves `nextWake` to the card's next payment. */
  scheduleNext(rng: Random, t: CardTiming): void {
    this.nextWake += rng.chance(t.burstChance) ? rng.int(BURST_MIN_MS, BURST_MAX_MS) : Math.round(rng.exponential(t.quietMeanMs));
  }
}
