/** LruMap's bounds: at most `maxEntries` entries and a total `sizeOf` of `maxSize` (default: no size bound). */
export interface LruBounds<V> {
  readonly maxEntries: number;
  readonly maxSize?: number;
  readonly sizeOf?: (value: V) => number;
}

/**
 * A map that forgets its least recently used entries once it holds more than `maxEntries` or
 * their sizes add up to more than `maxSize`: the one eviction rule of serving's caches (answers,
 * pane reads). Order is a Map's insertion order, an entry read with `get` moving to the end.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #maxEntries: number;
  readonly #maxSize: number;
  readonly #sizeOf: (value: V) => number;
  #size = 0;

  constructor(bounds: LruBounds<V>) {
    this.#maxEntries = bounds.maxEntries;
    this.#maxSize = bounds.maxSize ?? Number.POSITIVE_INFINITY;
    this.#sizeOf = bounds.sizeOf ?? (() => 0);
  }

  /** The value under `key`, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value under `key` without using it (its place in the order stays). */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Keeps `value` under `key` as the most recently used, then forgets the least recently used beyond the bounds. */
  set(key: K, value: V): void {
    this.delete(key);
    this.#entries.set(key, value);
    this.#size += this.#sizeOf(value);
    for (const [k, v] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#size <= this.#maxSize) break;
      this.#entries.delete(k);
      this.#size -= this.#sizeOf(v);
    }
  }

  delete(key: K): boolean {
    const value = this.#entries.get(key);
    if (value === undefined) return false;
    this.#entries.delete(key);
    this.#size -= this.#sizeOf(value);
    return true;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }
}
