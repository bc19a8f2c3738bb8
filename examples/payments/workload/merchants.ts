import type { Random } from '../../../workload/random.ts';

/** Where a card pays: a shop, a web store or an app. */
export type Channel = 'pos' | 'web' | 'app';

/** One merchant: where it is, how it sells and what a typical purchase there costs. */
export interface Merchant {
  readonly id: string;
  readonly country: string;
  readonly channel: Channel;
  /** A typical amount in cents; each payment varies around it. */
  readonly typicalCents: number;
}

/** Most merchants are domestic; the rest are where cards travel or buy online. */
const COUNTRIES: readonly (readonly [string, number])[] = [
  ['DE', 60],
  ['FR', 10],
  ['NL', 8],
  ['GB', 8],
  ['US', 8],
  ['CH', 3],
  ['SE', 3],
];

/**
 * The merchants cards pay at, with a skewed popularity (a few big ones take much of the
 * traffic, as supermarkets and marketplaces do), typical amounts from 2.00 to 400.00.
 */
export class Merchants {
  readonly all: readonly Merchant[];

  constructor(rng: Random, count: number) {
    const width = String(count - 1).length;
    const all: Merchant[] = [];
    for (let i = 0; i < count; i++) {
      const channel: Channel = rng.chance(0.7) ? 'pos' : rng.chance(0.6) ? 'web' : 'app';
      // Log-uniform: small purchases are common, large ones exist.
      const typicalCents = Math.round(Math.exp(Math.log(200) + rng.next() * (Math.log(40_000) - Math.log(200))));
      all.push({ id: `m-${String(i).padStart(width, '0')}`, country: rng.weighted(COUNTRIES), channel, typicalCents });
    }
    this.all = all;
  }

  /** A merchant by popularity: rank r is picked with probability falling roughly as a power of r. */
  pick(rng: Random): Merchant {
    const u = rng.next();
    return this.all[Math.floor(this.all.length * u * u * u)];
  }
}
