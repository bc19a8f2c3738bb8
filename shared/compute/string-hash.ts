/**
 * Per process, so ids crafted to collide cannot be written in advance (V8 seeds its own string
 * hash for the same reason). Membership never depends on the hash, so results are the same in
 * every process.
 */
const SEED = (Math.random() * 0x1_0000_0000) | 0;

/**
 * The 32-bit hash of the open-addressing string tables (IdTable, KeyIds): FNV-1a over the UTF-16
 * code units in two lanes (even and odd positions: two independent multiply chains run side by
 * side, about twice as fast as one on 36-character ids), from a per-process seed, with a final
 * avalanche so the low bits (the slot) mix.
 */
export function hashString(s: string): number {
  let a = 0x811c9dc5 ^ SEED;
  let b = 0x050c5d1f ^ SEED;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ s.charCodeAt(i + 1), 0x01000193);
  }
  if (i < n) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  let h = a ^ Math.imul(b ^ (b >>> 15), 0x2c1b3c6d) ^ n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}
