import type { Random } from '../../../workload/random.ts';

/** One product of the shop. */
export interface Product {
  readonly id: string;
  /** List price in cents; every event about the product carries it (two decimals on the wire). */
  readonly priceCents: number;
}

/**
 * The shop's products: fixed prices from 1.00 to 500.00 (mostly ending in .99) and a skewed
 * popularity, so a few products get most of the traffic as in a real shop.
 */
export class Catalog {
  readonly products: readonly Product[];

  constructor(rng: Random, count: number) {
    const width = String(count - 1).length;
    const products: Product[] = [];
    for (let i = 0; i < count; i++) {
      // Log-uniform between 100 and 50,000 cents: cheap items are common, expensive ones exist.
      let cents = Math.round(Math.exp(Math.log(100) + rng.next() * (Math.log(50_000) - Math.log(100))));
      if (rng.chance(0.6)) cents = Math.floor(cents / 100) * 100 + 99;
      products.push({ id: `p-${String(i).padStart(width, '0')}`, priceCents: cents });
    }
    this.products = products;
  }

  /** A product by popularity: rank r is picked with probability falling roughly as a power of r. */
  pick(rng: Random): Product {
    const u = rng.next();
    return this.products[Math.floor(this.products.length * u * u * u)];
  }
}
