import type { PartitionCheckpoint } from '../shared/compute/partition-processor.ts';
import type { PaneQuery, StoredPane, ViewStore } from '../shared/ports/view-store.ts';
import { LruMap } from './lru-map.ts';

export interface StreamStateCacheOptions {
  /** How long an alias, namespace list or checkpoint read is reused (ms). */
  readonly ttlMs: number;
  /** Pane reads kept (least recently used go first). */
  readonly maxEntries?: number;
  /** Panes kept over all entries. */
  readonly maxPanes?: number;
  readonly clock?: () => number;
}

/**
 * The streaming side's state as serving reads it, shared by concurrent requests (the batch side
 * has its index; this is its counterpart for the view store): the Kappa alias, the namespaces and
 * each namespace's checkpoints are read at most once per `ttlMs` (default in `lk serve`: 50 ms,
 * half the commit interval), and pane reads are kept per *generation*, the checkpoints they were
 * read after. The stream job commits panes and checkpoints in one transaction per partition, so
 * while the checkpoints are unchanged so are the panes; a commit changes the generation and the
 * next read goes to the store. So an answer is at most `ttlMs` older than the store, and `final`
 * is still never claimed early (the position is read before the panes it keys). Only
 * `expireBefore` deletes panes without a checkpoint change; it drops buckets the batch covers,
 * which Lambda does not read from speed, and the generation includes the batch run, which changes
 * with the publish that lets the speed layer expire them.
 */
export class StreamStateCache {
  readonly #store: ViewStore;
  readonly #ttlMs: number;
  readonly #maxPanes: number;
  readonly #clock: () => number;
  readonly #memo = new Map<string, { at: number; value: Promise<unknown> }>();
  readonly #panes: LruMap<string, StoredPane[]>;
  /** Pane reads answered from the cache, and sent to the store (for metrics and tests). */
  hits = 0;
  misses = 0;

  constructor(store: ViewStore, options: StreamStateCacheOptions) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
    this.#maxPanes = options.maxPanes ?? 200_000;
    this.#panes = new LruMap({ maxEntries: options.maxEntries ?? 1_024, maxSize: this.#maxPanes, sizeOf: (panes) => panes.length });
    this.#clock = options.clock ?? Date.now;
  }

  getAlias(alias: string): Promise<string | undefined> {
    return this.#recent(`alias\u0000${alias}`, () => this.#store.getAlias(alias));
  }

  listNamespaces(): Promise<string[]> {
    return this.#recent('namespaces', () => this.#store.listNamespaces());
  }

  checkpoints(namespace: string): Promise<Map<number, PartitionCheckpoint>> {
    return this.#recent(`checkpoints\u0000${namespace}`, () => this.#store.checkpoints(namespace));
  }

  /** The panes of a query as of `generation` (see generationOf): read once per generation. Callers must not modify them. */
  async queryPanes(namespace: string, query: PaneQuery, generation: string): Promise<StoredPane[]> {
    const key = `${namespace}\u0000${generation}\u0000${JSON.stringify(query)}`;
    const held = this.#panes.get(key);
    if (held) {
      this.hits++;
      return held;
    }
    this.misses++;
    const panes = await this.#store.queryPanes(namespace, query);
    // A read too large to keep would push out most others.
    if (panes.length <= this.#maxPanes / 4) this.#panes.set(key, panes);
    return panes;
  }

  #recent<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.#clock();
    const hit = this.#memo.get(key);
    if (hit && now - hit.at < this.#ttlMs) return hit.value as Promise<T>;
    const value = read();
    this.#memo.set(key, { at: now, value });
    // A failed read is not kept: the next request tries again.
    value.catch(() => {
      if (this.#memo.get(key)?.value === value) this.#memo.delete(key);
    });
    return value;
  }
}

/**
 * What identifies a namespace's panes: every partition's checkpoint (a commit that changes panes
 * moves its offset, counts and watermark), plus the batch run.
 */
export function generationOf(checkpoints: ReadonlyMap<number, PartitionCheckpoint>, batchRun: string | null): string {
  return JSON.stringify([batchRun, ...[...checkpoints].sort((a, b) => a[0] - b[0])]);
}
