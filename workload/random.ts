/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32): the same seed gives the same
 * sequence on every machine and Node version, which is what makes a workload reproducible.
 * Math.random cannot be seeded, so nothing in workload/ uses it.
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Any integer seed; different seeds give unrelated sequences. */
  constructor(seed: number) {
    let s = seed >>> 0;
    // Mix the high bits in too, so seeds that differ only above 2^32 still differ.
    s = (s ^ Math.floor(seed / 4_294_967_296)) >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    // xoshiro must not start from all zeros.
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** A uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniform element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** An element chosen with probability proportional to its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.next() * total;
    for (const [item, w] of entries) {
      r -= w;
      if (r < 0) return item;
    }
    return entries[entries.length - 1][0];
  }

  /** An exponentially distributed value with this mean (waiting times of a Poisson process). */
  exponential(mean: number): number {
    // 1 - next() is in (0, 1], so the log is finite.
    return -Math.log(1 - this.next()) * mean;
  }

  /** A random lowercase hex string of this many digits. */
  hex(digits: number): string {
    let out = '';
    for (let i = 0; i < digits; i += 8) {
      const x = this.uint32();
      out += HEX_BYTE[x >>> 24] + HEX_BYTE[(x >>> 16) & 255] + HEX_BYTE[(x >>> 8) & 255] + HEX_BYTE[x & 255];
    }
    return out.length === digits ? out : out.slice(0, digits);
  }
}

/** Two hex digits per byte value: event ids are generated per record, so this is a hot path. */
const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
