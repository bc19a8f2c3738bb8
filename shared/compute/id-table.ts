import { hashString } from './string-hash.ts';

/**
 * A hash table from string ids to one number each (the event time an id was first seen at), built
 * for dedup's access pattern: one lookup per event, almost all of them misses, and expiry in bulk.
 *
 * Why not a `Map<string, number>`: event ids are long, freshly parsed strings, and a Map spends
 * about 0.8 µs per insert on them (entry growth, rehashing, deleting one by one on expiry); this
 * table measured about 2.5x faster on the transform benchmark's ids. Slots are pairs (hash, entry
 * number) in one Int32Array (open addressing, linear probing, load <= 1/2), so a probe reads one
 * cache line and compares hashes without touching the entries; entries are parallel arrays in
 * insertion order, allocated at full size (half the slots) so inserting never copies them; a
 * lookup compares strings only when the 32-bit hashes match. Expiry compacts the live entries and indexes them
 * again (`retain`), which the caller does once per quarter retention.
 */
export class IdTable {
  /** Slot p is (hash, entry + 1) at 2p, 2p + 1; entry + 1 = 0 marks an empty slot. */
  #slots: Int32Array;
  #mask: number;
  #count = 0;
  #ids: Array<string | undefined>;
  #values: Float64Array;
  #hashes: Int32Array;

  constructor(capacity = MIN_SLOTS) {
    const slots = slotsFor(capacity);
    this.#slots = new Int32Array(slots * 2);
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
    const h = hashString(id);
    const slots = this.#slots;
    const mask = this.#mask;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const e = slots[2 * p + 1] - 1;
      if (e < 0) return -1;
      if (slots[2 * p] === h && this.#ids[e] === id) return e;
    }
  }

  /** The entry of `id`, or -1 after adding it with `value` (dedup's one call per event: one hash, one probe). */
  findOrInsert(id: string, value: number): number {
    const h = hashString(id);
    const slots = this.#slots;
    const mask = this.#mask;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const e = slots[2 * p + 1] - 1;
      if (e < 0) {
        if ((this.#count + 1) * 4 > slots.length) {
          this.#grow();
          this.#place(id, h, value);
        } else this.#put(p, id, h, value);
        return -1;
      }
      if (slots[2 * p] === h && this.#ids[e] === id) return e;
    }
  }

  valueAt(entry: number): number {
    return this.#values[entry];
  }

  setValueAt(entry: number, value: number): void {
    this.#values[entry] = value;
  }

  /**
   * Drops the entries whose value is below `min` once they are at least half of the table
   * (rebuilding costs a pass over the live entries, so rebuilding only then keeps the cost per
   * insert constant); returns whether it rebuilt. Callers must treat values below `min` as absent
   * either way.
   */
  retain(min: number): boolean {
    const values = this.#values;
    const count = this.#count;
    let live = 0;
    for (let i = 0; i < count; i++) if (values[i] >= min) live++;
    if (live * 2 > count) return false;
    // Compact the entries in place (keeping their order), then index them again: no allocation
    // unless the table is far larger than needed (fresh large arrays cost page faults and make V8
    // run full GCs for the external memory, measured).
    const ids = this.#ids;
    const hashes = this.#hashes;
    let n = 0;
    for (let i = 0; i < count; i++) {
      if (values[i] < min) continue;
      ids[n] = ids[i];
      values[n] = values[i];
      hashes[n] = hashes[i];
      n++;
    }
    ids.fill(undefined, n, count);
    this.#count = n;
    const slots = slotsFor(n);
    if (slots * 4 <= this.#mask + 1) this.#resize(slots);
    else this.#index();
    return true;
  }

  /** Calls fn for every entry, in insertion order. */
  forEach(fn: (id: string, value: number) => void): void {
    for (let i = 0; i < this.#count; i++) fn(this.#ids[i]!, this.#values[i]);
  }

  #place(id: string, h: number, value: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let p = h & mask;
    while (slots[2 * p + 1] !== 0) p = (p + 1) & mask;
    this.#put(p, id, h, value);
  }

  #put(p: number, id: string, h: number, value: number): void {
    const e = this.#count++;
    this.#ids[e] = id;
    this.#values[e] = value;
    this.#hashes[e] = h;
    this.#slots[2 * p] = h;
    this.#slots[2 * p + 1] = e + 1; // 0 marks an empty slot
  }

  #grow(): void {
    this.#resize((this.#mask + 1) * 2);
  }

  /** Moves the entries into arrays for `slotCount` slots and indexes them. */
  #resize(slotCount: number): void {
    const count = this.#count;
    const ids = new Array<string | undefined>(slotCount / 2);
    for (let i = 0; i < count; i++) ids[i] = this.#ids[i];
    const values = new Float64Array(slotCount / 2);
    values.set(this.#values.subarray(0, count));
    const hashes = new Int32Array(slotCount / 2);
    hashes.set(this.#hashes.subarray(0, count));
    this.#ids = ids;
    this.#values = values;
    this.#hashes = hashes;
    this.#slots = new Int32Array(slotCount * 2);
    this.#mask = slotCount - 1;
    this.#index();
  }

  /**
   * Fills the slots from the entries. Entries go in by home slot (a counting sort on the slot's
   * 64-slot block), so the probes walk the slot array forwards instead of jumping around it: the
   * index of a rebuild is written about sequentially (measured: placing in entry order was a
   * cache miss per entry). Linear probing gives a valid table for any insertion order.
   */
  #index(): void {
    const slots = this.#slots;
    const mask = this.#mask;
    const hashes = this.#hashes;
    const count = this.#count;
    slots.fill(0);
    const blocks = (mask + 1) >>> BLOCK_BITS;
    const start = new Int32Array(blocks + 1);
    for (let e = 0; e < count; e++) start[((hashes[e] & mask) >>> BLOCK_BITS) + 1]++;
    for (let b = 0; b < blocks; b++) start[b + 1] += start[b];
    const order = new Int32Array(count);
    for (let e = 0; e < count; e++) order[start[(hashes[e] & mask) >>> BLOCK_BITS]++] = e;
    for (let k = 0; k < count; k++) {
      const e = order[k];
      const h = hashes[e];
      let p = h & mask;
      while (slots[2 * p + 1] !== 0) p = (p + 1) & mask;
      slots[2 * p] = h;
      slots[2 * p + 1] = e + 1;
    }
  }
}

/** Slots per block of the counting sort in #index (64 slots: 512 bytes of pairs). */
const BLOCK_BITS = 6;
const MIN_SLOTS = 1 << 10;

/** A power of two of at least twice `entries` slots (load <= 1/2 keeps linear probes short). */
function slotsFor(entries: number): number {
  let n = MIN_SLOTS;
  while (n < entries * 2) n *= 2;
  return n;
}
