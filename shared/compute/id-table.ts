/**
 * A hash table from string ids to one number each (the event time an id was first seen at), built
 * for dedup's access pattern: one lookup per event, almost all of them misses, and expiry in bulk.
 *
 * Why not a `Map<string, number>`: event ids are long, freshly parsed strings, and a Map spends
 * about 0.8 µs per insert on them (entry growth, rehashing, deleting one by one on expiry); this
 * table measured about 2.5x faster on the transform benchmark's ids. Slots are an Int32Array of
 * entry numbers (open addressing, linear probing, load <= 1/2); entries are parallel arrays in
 * insertion order, allocated at full size (half the slots) so inserting never copies them; a
 * lookup compares strings only when the 32-bit hashes match. Expiry rebuilds the table from the
 * live entries (`retain`), which the caller does once per quarter retention.
 */
export class IdTable {
  #slots: Int32Array;
  #mask: number;
  #count = 0;
  #ids: Array<string | undefined>;
  #values: Float64Array;
  #hashes: Int32Array;
  #lastId: string | undefined;
  #lastHash = 0;

  constructor(capacity = MIN_SLOTS) {
    const slots = slotsFor(capacity);
    this.#slots = new Int32Array(slots);
    this.#mask = slots - 1;
    this.#ids = new Array<string | undefined>(slots / 2);
    this.#values = new Float64Array(slots / 2);
    this.#hashes = new Int32Array(slots / 2);
  }

  /** Number of entries. */
  get size(): number {
    return this.#count;
  }

  /** The entry of `id` (for `valueAt` / `setValueAt`), or -1. */
  find(id: string): number {
    this.#lastId = id;
    this.#lastHash = hashOf(id);
    return this.#find(id, this.#lastHash);
  }

  valueAt(entry: number): number {
    return this.#values[entry];
  }

  setValueAt(entry: number, value: number): void {
    this.#values[entry] = value;
  }

  /** Adds an id that `find` just reported absent (the caller guarantees it; not checked on the hot path). */
  insert(id: string, value: number): void {
    if ((this.#count + 1) * 2 > this.#slots.length) this.#rebuild(this.#slots.length * 2, Number.NEGATIVE_INFINITY);
    // The usual call follows a `find` of the same id: hash it once.
    this.#place(id, id === this.#lastId ? this.#lastHash : hashOf(id), value);
  }

  /**
   * Drops the entries whose value is below `min` once they are at least half of the table
   * (rebuilding costs a pass over the live entries, so rebuilding only then keeps the cost per
   * insert constant); returns whether it rebuilt. Callers must treat values below `min` as absent
   * either way.
   */
  retain(min: number): boolean {
    let live = 0;
    for (let i = 0; i < this.#count; i++) if (this.#values[i] >= min) live++;
    if (live * 2 > this.#count) return false;
    this.#rebuild(slotsFor(live), min);
    return true;
  }

  /** Calls fn for every entry, in insertion order. */
  forEach(fn: (id: string, value: number) => void): void {
    for (let i = 0; i < this.#count; i++) fn(this.#ids[i]!, this.#values[i]);
  }

  #find(id: string, h: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const e = slots[p] - 1;
      if (e < 0) return -1;
      if (this.#hashes[e] === h && this.#ids[e] === id) return e;
    }
  }

  #place(id: string, h: number, value: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let p = h & mask;
    while (slots[p] !== 0) p = (p + 1) & mask;
    const e = this.#count++;
    this.#ids[e] = id;
    this.#values[e] = value;
    this.#hashes[e] = h;
    slots[p] = e + 1; // 0 marks an empty slot
  }

  #rebuild(slotCount: number, min: number): void {
    const ids = this.#ids;
    const values = this.#values;
    const hashes = this.#hashes;
    const count = this.#count;
    this.#count = 0;
    this.#ids = new Array<string | undefined>(slotCount / 2);
    this.#values = new Float64Array(slotCount / 2);
    this.#hashes = new Int32Array(slotCount / 2);
    this.#slots = new Int32Array(slotCount);
    this.#mask = slotCount - 1;
    for (let i = 0; i < count; i++) if (values[i] >= min) this.#place(ids[i]!, hashes[i], values[i]);
  }
}

const MIN_SLOTS = 1 << 10;

/** A power of two of at least twice `entries` slots (load <= 1/2 keeps linear probes short). */
function slotsFor(entries: number): number {
  let n = MIN_SLOTS;
  while (n < entries * 2) n *= 2;
  return n;
}

/**
 * Per process, so ids crafted to collide cannot be written in advance (V8 seeds its own string
 * hash for the same reason). Membership never depends on the hash, so results are the same in
 * every process.
 */
const SEED = (Math.random() * 0x1_0000_0000) | 0;

/**
 * FNV-1a over the UTF-16 code units in two lanes (even and odd positions: two independent
 * multiply chains run side by side, about twice as fast as one on 36-character ids), from a
 * per-process seed, with a final avalanche so the low bits (the slot) mix.
 */
function hashOf(s: string): number {
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
