import type { SeenIds } from '../../shared/compute/dedup.ts';
import { NO_DEDUP_CHANGES, type PartitionCheckpoint } from '../../shared/compute/partition-processor.ts';
import { paneIdString } from '../../shared/compute/pane.ts';
import { LkError, LoadStateError, PartitionFencedError, UnfinishedLoadError } from '../../shared/errors.ts';
import { assertFinishingCommits, fencedPartitions, isAfterPosition, type NamespaceLoad, type PaneQuery, type PartitionCommit, type PartitionState, type StateBounds, type StoredPane, type ViewStore } from '../../shared/ports/view-store.ts';

interface Namespace {
  readonly panes: Map<string, StoredPane>;
  readonly checkpoints: Map<number, PartitionCheckpoint>;
  /** partition -> event id -> first event time (the dedup changelog, applied). */
  readonly seen: Map<number, Map<string, number>>;
}

const NAME = /^[a-z][a-z0-9_]{0,40}$/;

/**
 * The ViewStore port in memory, for tests of code that uses the port (serving, runners). Follows
 * the port's contract, including the parts that catch callers out: a namespace must be ensured
 * before use, reads return copies (mutating a result changes nothing stored), a commit is
 * all-or-nothing, and a bulk load refuses a pane appended twice (what a store's index build
 * would reject) and is unusable until it finishes.
 */
export class InMemoryViewStore implements ViewStore {
  readonly #namespaces = new Map<string, Namespace>();
  readonly #aliases = new Map<string, string>();
  readonly #loading = new Set<string>();
  /** Calls of queryPanes(), for tests that check how (and whether) a caller reads panes. */
  readonly paneQueries: PaneQuery[] = [];

  async ensureNamespace(namespace: string): Promise<void> {
    if (!NAME.test(namespace)) throw new LkError(`namespace "${namespace}" must match ${NAME}`);
    if (this.#loading.has(namespace)) throw new UnfinishedLoadError(namespace);
    if (!this.#namespaces.has(namespace)) this.#namespaces.set(namespace, { panes: new Map(), checkpoints: new Map(), seen: new Map() });
  }

  async beginLoad(namespace: string): Promise<NamespaceLoad> {
    if (this.#namespaces.has(namespace)) throw LoadStateError.exists(namespace);
    await this.ensureNamespace(namespace);
    this.#loading.add(namespace);
    const ns = this.#get(namespace);
    const loading = () => {
      if (!this.#loading.has(namespace)) throw LoadStateError.notLoading(namespace);
    };
    return {
      namespace,
      append: async (partition, panes) => {
        loading();
        for (const p of panes) {
          const id = `${partition}\u0000${paneIdString(p)}`;
          if (ns.panes.has(id)) throw new LkError(`pane ${JSON.stringify(p)} of partition ${partition} appended twice`);
          ns.panes.set(id, { ...copy(p), partition });
        }
      },
      finish: async (commits) => {
        loading();
        assertFinishingCommits(commits);
        this.#loading.delete(namespace);
        await this.#apply(namespace, commits);
      },
    };
  }

  async unfinishedLoads(): Promise<string[]> {
    return [...this.#loading];
  }

  async commit(namespace: string, commits: readonly PartitionCommit[]): Promise<void> {
    this.#get(namespace);
    if (this.#loading.has(namespace)) throw new UnfinishedLoadError(namespace);
    await this.#apply(namespace, commits);
  }

  async #apply(namespace: string, commits: readonly PartitionCommit[]): Promise<void> {
    const ns = this.#get(namespace);
    const fenced = fencedPartitions(commits, (p) => ns.checkpoints.get(p)?.nextOffset ?? null);
    if (fenced.length > 0) throw new PartitionFencedError(namespace, fenced);
    // Build on copies and swap at the end, so a throw leaves nothing half-applied.
    const panes = new Map(ns.panes);
    const checkpoints = new Map(ns.checkpoints);
    const seen = new Map([...ns.seen].map(([p, ids]) => [p, new Map(ids)]));
    for (const c of commits) {
      for (const id of c.deletes) panes.delete(`${c.partition}\u0000${paneIdString(id)}`);
      for (const p of c.inserts ?? []) {
        const id = `${c.partition}\u0000${paneIdString(p)}`;
        if (panes.has(id)) throw new LkError(`pane ${id} inserted, but the store holds it: the processor took a stored pane for a new one`);
        panes.set(id, { ...copy(p), partition: c.partition });
      }
      for (const p of c.upserts) panes.set(`${c.partition}\u0000${paneIdString(p)}`, { ...copy(p), partition: c.partition });
      checkpoints.set(c.partition, structuredClone(c.checkpoint));
      const ids = seen.get(c.partition) ?? new Map<string, number>();
      const { added, forgetBefore } = c.dedup ?? NO_DEDUP_CHANGES;
      for (let i = 0; i < added.ids.length; i++) ids.set(added.ids[i], added.times[i]);
      for (const [id, t] of ids) if (t < forgetBefore) ids.delete(id);
      seen.set(c.partition, ids);
    }
    ns.panes.clear();
    for (const [k, v] of panes) ns.panes.set(k, v);
    ns.checkpoints.clear();
    for (const [k, v] of checkpoints) ns.checkpoints.set(k, v);
    ns.seen.clear();
    for (const [k, v] of seen) ns.seen.set(k, v);
  }

  async seenIds(namespace: string, partition: number, since: number): Promise<SeenIds> {
    const entries = [...(this.#get(namespace).seen.get(partition) ?? [])].filter(([, t]) => t >= since);
    return { ids: entries.map(([id]) => id), times: entries.map(([, t]) => t) };
  }

  async checkpoints(namespace: string): Promise<Map<number, PartitionCheckpoint>> {
    return new Map([...this.#get(namespace).checkpoints].map(([p, cp]) => [p, structuredClone(cp)]));
  }

  async partitionPanes(namespace: string, partition: number, minBucket: number, minStart = Number.NEGATIVE_INFINITY): Promise<StoredPane[]> {
    return [...this.#get(namespace).panes.values()].filter((p) => p.partition === partition && p.bucket >= minBucket && p.start >= minStart).map(copy);
  }

  async committedState(namespace: string, bounds: StateBounds): Promise<PartitionState[]> {
    // Synchronous from here on: no commit can interleave.
    const ns = this.#get(namespace);
    const panes = [...ns.panes.values()];
    return [...ns.checkpoints.keys()]
      .sort((a, b) => a - b)
      .map((partition) => {
        const checkpoint = structuredClone(ns.checkpoints.get(partition)!);
        const { minBucket, idsSince } = bounds(checkpoint);
        const ids = [...(ns.seen.get(partition) ?? [])].filter(([, t]) => t >= idsSince);
        return { checkpoint, panes: panes.filter((p) => p.partition === partition && p.bucket >= minBucket).map(copy), seen: { ids: ids.map(([id]) => id), times: ids.map(([, t]) => t) } };
      });
  }

  async queryPanes(namespace: string, q: PaneQuery): Promise<StoredPane[]> {
    this.paneQueries.push(q);
    const out: StoredPane[] = [];
    let panes = [...this.#get(namespace).panes.values()];
    if (q.ordered !== undefined) {
      const after = q.ordered.after;
      panes = panes.filter((p) => isAfterPosition(p.key, p.start, after)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start || a.bucket - b.bucket || a.partition - b.partition));
    }
    for (const p of panes) {
      if (q.maxRows !== undefined && out.length >= q.maxRows) break;
      if (p.view !== q.view || (q.key !== undefined && p.key !== q.key)) continue;
      if (!(p.end > q.from && p.start < q.to)) continue;
      if (q.minBucket !== undefined && p.bucket < q.minBucket) continue;
      if (q.minStart !== undefined && p.start < q.minStart) continue;
      out.push(copy(p));
    }
    return out;
  }

  async expireBefore(namespace: string, bucket: number): Promise<number> {
    const ns = this.#get(namespace);
    let n = 0;
    for (const [k, p] of ns.panes) {
      if (p.bucket < bucket) {
        ns.panes.delete(k);
        n++;
      }
    }
    return n;
  }

  async setAlias(alias: string, namespace: string): Promise<void> {
    this.#get(namespace);
    if (this.#loading.has(namespace)) throw new UnfinishedLoadError(namespace);
    this.#aliases.set(alias, namespace);
  }

  async getAlias(alias: string): Promise<string | undefined> {
    return this.#aliases.get(alias);
  }

  async listNamespaces(): Promise<string[]> {
    return [...this.#namespaces.keys()];
  }

  async dropNamespace(namespace: string): Promise<void> {
    this.#namespaces.delete(namespace);
    this.#loading.delete(namespace);
  }

  async close(): Promise<void> {}

  #get(namespace: string): Namespace {
    const ns = this.#namespaces.get(namespace);
    if (!ns) throw new LkError(`namespace "${namespace}" does not exist; call ensureNamespace first`);
    return ns;
  }
}

function copy<T extends { acc: number[] }>(p: T): T {
  return { ...p, acc: p.acc.slice() };
}
