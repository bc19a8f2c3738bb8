/**
 * Dense ids for the keys of one view (0, 1, 2, ...), so per-key state can live in flat typed
 * arrays indexed by id instead of in objects reached through a Map per key (one Map probe per
 * event, then array loads: fewer dependent cache misses, measured in ViewState).
 *
 * Ids only grow between `compact` calls; the owner compacts when keys drop out (ViewState's pane
 * table does so when it evicts a bucket), so on a long-running stream the table holds the keys
 * with open state, not every key ever seen.
 */
export class KeyIds {
  #ids = new Map<string, number>();
  #keys: string[] = [];

  /** Number of ids handed out (ids are 0 ..< size). */
  get size(): number {
    return this.#keys.length;
  }

  /** The id of `key`, given a new one when the key is unknown. */
  idOf(key: string): number {
    const id = this.#ids.get(key);
    return id === undefined ? this.#add(key) : id;
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
    const ids = new Map<string, number>();
    for (let id = 0; id < this.#keys.length; id++) {
      if (!live(id)) continue;
      const key = this.#keys[id];
      remap[id] = keys.length;
      ids.set(key, keys.length);
      keys.push(key);
    }
    this.#keys = keys;
    this.#ids = ids;
    return remap;
  }

  #add(key: string): number {
    const id = this.#keys.length;
    this.#keys.push(key);
    this.#ids.set(key, id);
    return id;
  }
}
