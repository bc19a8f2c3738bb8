import { hashString } from './string-hash.ts';

const MIN_SLOTS = 1 << 10;

/**
 * Dense ids for the keys of one view (0, 1, 2, ...), so per-key state can live in flat typed
 * arrays indexed by id instead of in objects reached through a Map per key (OpenPanes).
 *
 * The lookup is one per event per view and, with 20k users, a cache miss or more: slots are
 * (hash, id + 1) pairs in one Int32Array (open addressing, linear probing, load <= 1/2), so after
 * the key string itself a lookup reads one slot line and the key array; the key is compared only
 * on a hash match, and keys from JSON.parse are internalized, so that is a pointer compare. (A
 * `Map<string, number>` reads the string's cached hash, then a bucket and its entry chain: the
 * user-key lookup measured 130-192 ns per event with a Map and 109-177 with this table, sessions
 * view alone, interleaved runs.)
 *
 * Ids only grow between `compact` calls; the owner compacts when keys drop out (OpenPanes does
 * when it evicts a bucket), so on a long-running stream the table holds the keys with open state,
 * not every key ever seen.
 */
export class KeyIds {
  /** Slot p is (hash, id + 1) at 2p, 2p + 1; id + 1 = 0 marks an empty slot. */
  #slots = new Int32Array(MIN_SLOTS * 2);
  #mask = MIN_SLOTS - 1;
  #keys: string[] = [];
  #hashes: number[] = [];

  /** Number of ids handed out (ids are 0 ..< size). */
  get size(): number {
    return this.#keys.length;
  }

  /** The id of `key`, given a new one when the key is unknown. */
  idOf(key: string): number {
    const h = hashString(key);
    const slots = this.#slots;
    const mask = this.#mask;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const id = slots[2 * p + 1] - 1;
      if (id < 0) return this.#add(key, h, p);
      if (slots[2 * p] === h && this.#keys[id] === key) return id;
    }
  }

  /** The key of an id. */
  keyOf(id: number): string {
    return this.#keys[id];
  }

  /**
   * Keeps only the ids for which `live(id)` holds, renumbered densely in their old order, and
   * returns the new id of each old one (-1 for a dropped id).
   */
  compact(live: (id: number) => boolean): Int32Array {
    const remap = new Int32Array(this.#keys.length).fill(-1);
    const keys: string[] = [];
    const hashes: number[] = [];
    for (let id = 0; id < this.#keys.length; id++) {
      if (!live(id)) continue;
      remap[id] = keys.length;
      keys.push(this.#keys[id]);
      hashes.push(this.#hashes[id]);
    }
    this.#keys = keys;
    this.#hashes = hashes;
    let slots = MIN_SLOTS;
    while (slots < keys.length * 2) slots *= 2;
    this.#index(slots);
    return remap;
  }

  /** Gives `key` the next id, in the empty slot `p` its lookup stopped at (or after growing). */
  #add(key: string, h: number, p: number): number {
    const id = this.#keys.length;
    this.#keys.push(key);
    this.#hashes.push(h);
    if ((id + 1) * 2 > this.#mask + 1) this.#index((this.#mask + 1) * 2);
    else {
      this.#slots[2 * p] = h;
      this.#slots[2 * p + 1] = id + 1;
    }
    return id;
  }

  /** Rebuilds the slots, `slotCount` of them, from the keys. */
  #index(slotCount: number): void {
    const slots = new Int32Array(slotCount * 2);
    const mask = slotCount - 1;
    for (let id = 0; id < this.#keys.length; id++) {
      const h = this.#hashes[id];
      let p = h & mask;
      while (slots[2 * p + 1] !== 0) p = (p + 1) & mask;
      slots[2 * p] = h;
      slots[2 * p + 1] = id + 1;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}
