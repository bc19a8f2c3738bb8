import { LruMap } from './lru-map.ts';

/**
 * Answers kept by what they were computed from (the query and the state key: batch run, horizon,
 * Kappa version, the streaming namespace's generation; see QueryService), so concurrent and
 * repeated requests over unchanged state compute one answer. In-flight computations are shared
 * (single flight): 50 clients asking the same top-10 at once cause one read. Least recently used
 * entries go first (LruMap); an answer larger than `maxSize` is not kept; a failed computation is not kept.
 */
export class AnswerCache<T> {
  readonly #entries: LruMap<string, Promise<T>>;
  readonly #maxSize: number;
  readonly #sizeOf: (value: T) => number;
  hits = 0;
  misses = 0;

  constructor(options: { readonly maxEntries: number; readonly maxSize: number; readonly sizeOf: (value: T) => number }) {
    this.#entries = new LruMap({ maxEntries: options.maxEntries });
    this.#maxSize = options.maxSize;
    this.#sizeOf = options.sizeOf;
  }

  /** The answer under `key`, computing it once when absent. */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const held = this.#entries.get(key);
    if (held) {
      this.hits++;
      return held;
    }
    this.misses++;
    const value = compute();
    this.#entries.set(key, value);
    value.then(
      (v) => {
        if (this.#sizeOf(v) > this.#maxSize && this.#entries.peek(key) === value) this.#entries.delete(key);
      },
      () => {
        if (this.#entries.peek(key) === value) this.#entries.delete(key);
      },
    );
    return value;
  }
}
