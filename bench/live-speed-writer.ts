import { checkpointWatermark, type PartitionCheckpoint } from '../shared/compute/partition-processor.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { PartitionCommit, StoredPane, ViewStore } from '../shared/ports/view-store.ts';

export interface LiveSpeedWriterOptions {
  readonly namespace: string;
  /** Only panes of buckets at or after this are changed (Lambda's speed half). */
  readonly minBucket: number;
  /** A key whose panes every commit changes (the benchmark's looked-up product). */
  readonly hotKey: string;
  /** Panes changed per partition and commit, besides the hot key's. */
  readonly panesPerCommit: number;
  readonly intervalMs: number;
}

/**
 * A stand-in for a running `lk speed` during a serving benchmark: every `intervalMs` one commit
 * per partition through the view store, as the stream job makes them (upserted panes of windows
 * still open, past the partition's lateness bound, and an advanced checkpoint, fenced on the
 * previous one), so serving sees a new generation each time. Each changed pane is merged with
 * another stored pane of its view (so its accumulator stays a valid one); the hot key's open
 * panes change in every commit. Counts the commits it made.
 */
export class LiveSpeedWriter {
  readonly #store: ViewStore;
  readonly #pipeline: Pipeline;
  readonly #o: LiveSpeedWriterOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #failure: unknown;
  readonly panes: Map<number, StoredPane[]>;
  readonly checkpoints: Map<number, PartitionCheckpoint>;
  commits = 0;

  private constructor(store: ViewStore, pipeline: Pipeline, o: LiveSpeedWriterOptions, panes: Map<number, StoredPane[]>, checkpoints: Map<number, PartitionCheckpoint>) {
    this.#store = store;
    this.#pipeline = pipeline;
    this.#o = o;
    this.panes = panes;
    this.checkpoints = checkpoints;
  }

  /** Reads the panes it will change and the checkpoints it builds on, then commits every interval until stop. */
  static async start(store: ViewStore, pipeline: Pipeline, o: LiveSpeedWriterOptions): Promise<LiveSpeedWriter> {
    const checkpoints = await store.checkpoints(o.namespace);
    const panes = new Map<number, StoredPane[]>();
    for (const p of checkpoints.keys()) {
      // Only windows still open, as lk speed changes no other (an event before the lateness bound is too late).
      const bound = checkpointWatermark(pipeline.config.lateness, checkpoints.get(p)!).lateBefore;
      panes.set(p, (await store.partitionPanes(o.namespace, p, o.minBucket)).filter((x) => x.end > bound));
    }
    const w = new LiveSpeedWriter(store, pipeline, o, panes, new Map(checkpoints));
    w.#timer = setInterval(() => {
      // Like the stream job: the next commit waits for the previous one.
      w.#running = w.#running.then(() => w.#commit()).catch((err) => (w.#failure ??= err));
    }, o.intervalMs);
    return w;
  }

  async #commit(): Promise<void> {
    const commits: PartitionCommit[] = [];
    for (const [partition, list] of this.panes) {
      const cp = this.checkpoints.get(partition)!;
      if (list.length === 0) continue;
      const chosen = new Set<StoredPane>(list.filter((p) => p.key === this.#o.hotKey));
      for (let i = 0; i < this.#o.panesPerCommit; i++) chosen.add(list[Math.floor(Math.random() * list.length)]);
      const upserts = [...chosen].map((p) => {
        const other = list.find((q) => q.view === p.view) ?? p;
        const acc = [...p.acc];
        this.#pipeline.view(p.view).aggregate.mergeInto(acc, other.acc);
        return { ...p, acc };
      });
      const next: PartitionCheckpoint = { ...cp, nextOffset: cp.nextOffset + upserts.length };
      commits.push({ partition, upserts, deletes: [], checkpoint: next, base: cp.nextOffset });
    }
    await this.#store.commit(this.#o.namespace, commits);
    for (const c of commits) {
      this.checkpoints.set(c.partition, c.checkpoint);
      const list = this.panes.get(c.partition)!;
      const changed = new Map(c.upserts.map((u) => [`${u.view}\u0000${u.key}\u0000${u.start}\u0000${u.bucket}`, u]));
      for (let i = 0; i < list.length; i++) {
        const u = changed.get(`${list[i].view}\u0000${list[i].key}\u0000${list[i].start}\u0000${list[i].bucket}`);
        if (u) list[i] = { ...u, partition: c.partition };
      }
    }
    this.commits++;
  }

  /** Stops after the commit in flight; throws the first commit failure, if any. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
    if (this.#failure !== undefined) throw this.#failure;
  }
}
