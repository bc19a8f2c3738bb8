import type { Random } from './random.ts';

/** A random UUID-shaped id (version 4 layout) from the seeded generator: event ids that a seed reproduces. */
export function randomUuid(rng: Random): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
