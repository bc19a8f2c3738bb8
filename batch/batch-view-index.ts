import { accumulatorLayout } from '../shared/compute/aggregate.ts';
import type { Pane } from '../shared/compute/pane.ts';
import type { BatchPaneQuery, BatchPaneSource, BatchSnapshot } from '../serving/batch-pane-source.ts';
import { PaneIndex } from '../serving/pane-index.ts';
import { lastRejection, type BatchManifest, type PublishedBucket } from './batch-manifest.ts';
import type { BatchViewReader } from './batch-view-reader.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { fitsBuckets, type RangeTotal } from '../shared/compute/bucket-totals.ts';

export interface BatchViewIndexOptions {
  /** How often the manifest is read to find a new publish (default 1000 ms; see start()). */
  readonly pollMs?: number;
  /** Receives a failed reload (the previous publish keeps being served); default: printed to stderr. */
  readonly onError?: (err: unknown) => void;
  /** When given, each view whose windows fit in buckets also keeps per-bucket key totals, for top-N (BatchSnapshot.rangeTotals). */
  readonly pipeline?: Pipeline;
}

/** One loaded publish: the snapshot served, and what the next load may reuse. */
interface Loaded {
  readonly snapshot: BatchSnapshot;
  readonly manifest: BatchManifest | undefined;
  readonly indexes: ReadonlyMap<string, PaneIndex>;
}

const NOTHING: Loaded = { snapshot: { runId: null, horizon: null, panes: async () => [] }, manifest: undefined, indexes: new Map() };

/**
 * The published batch views loaded into memory, one PaneIndex per view, swapped atomically per
 * publish (decisions.md, "Batch views served from an index"). The manifest is read by a poll
 * (`start`, every `pollMs`) or `refresh`, never per request; a new runId loads the new publish
 * whole, reading again only the buckets whose pane files changed (the others are carried over
 * from the loaded index), and only then becomes the snapshot readers get. So a query touches
 * only the rows it returns, nothing per request reads a Parquet file, and a reader sees the
 * previous publish or the new one, never half of one.
 */
export class BatchViewIndex implements BatchPaneSource {
  readonly #reader: BatchViewReader;
  readonly #pollMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #pipeline: Pipeline | undefined;
  #loaded: Loaded | undefined;
  #refreshing: Promise<boolean> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** When the manifest was last read successfully (epoch ms), for readiness. */
  lastCheck: number | undefined;
  /** The last reload's failure, cleared by the next success. */
  lastError: unknown;

  constructor(reader: BatchViewReader, options: BatchViewIndexOptions = {}) {
    this.#reader = reader;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#pipeline = options.pipeline;
    this.#onError = options.onError ?? ((err) => console.error('serving: could not load the published batch views; serving the previous publish:', err));
  }

  /** The loaded publish; the first call loads it (later ones never wait for a reload). */
  async snapshot(): Promise<BatchSnapshot> {
    if (this.#loaded === undefined) await this.refresh();
    return this.#loaded!.snapshot;
  }

  /**
   * Why the index is not serving the latest publish, or undefined when it is: not loaded yet, the
   * last reload failed, or the manifest has not been read for three poll intervals.
   */
  problem(now = Date.now()): string | undefined {
    if (this.lastError !== undefined) {
      const why = this.lastError instanceof Error ? this.lastError.message : String(this.lastError);
      return this.#loaded === undefined ? `the published batch could not be loaded (${why})` : `the last reload failed (${why}); serving the previous publish`;
    }
    if (this.#loaded === undefined) return 'the published batch is not loaded yet';
    if (this.#timer && (this.lastCheck === undefined || now - this.lastCheck > 3 * this.#pollMs + 1_000)) return `the manifest was last read ${this.lastCheck === undefined ? 'never' : `${Math.round((now - this.lastCheck) / 1000)} s ago`}`;
    return undefined;
  }

  /** Panes held in memory per view (for metrics and tests). */
  sizes(): Record<string, number> {
    return Object.fromEntries([...(this.#loaded?.indexes ?? new Map<string, PaneIndex>())].map(([v, i]) => [v, i.size]));
  }

  /**
   * Reads the manifest and, when another run published it, loads that publish and swaps it in.
   * Returns whether it swapped. Concurrent calls share one reload.
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#reload().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /** Polls the manifest every pollMs until close(); a failed poll keeps the loaded publish and reports the error. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.#onError(err));
    }, this.#pollMs);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #reload(): Promise<boolean> {
    try {
      const manifest = await this.#reader.manifest();
      this.lastCheck = Date.now();
      const current = this.#loaded;
      if (current !== undefined && current.manifest?.runId === manifest?.runId) {
        this.lastError = undefined;
        // A run the gate rejected wholly leaves the publish as it was but for its rejections: same panes, new status.
        if (manifest !== undefined && rejectionMark(current.manifest) !== rejectionMark(manifest)) {
          this.#loaded = { ...current, manifest, snapshot: { ...current.snapshot, gateFailures: lastRejection(manifest) } };
        }
        return false;
      }
      this.#loaded = manifest === undefined ? NOTHING : await this.#load(manifest, current);
      this.lastError = undefined;
      return true;
    } catch (err) {
      this.lastError = err;
      throw err;
    }
  }

  async #load(m: BatchManifest, previous: Loaded | undefined): Promise<Loaded> {
    const indexes = new Map<string, PaneIndex>();
    const problems = new Map<string, Error>();
    for (const view of Object.keys(m.views)) {
      const problem = this.#reader.viewProblem(m, view);
      if (problem) {
        problems.set(view, problem);
        continue;
      }
      const old = previous?.indexes.get(view);
      // A bucket whose pane files are the ones already loaded holds the same panes (files are never rewritten: a run writes under its own id).
      const oldFiles = new Map((previous?.manifest?.buckets ?? []).map((b) => [b.bucket, filesOf(b, view)]));
      const same = (b: PublishedBucket) => old !== undefined && oldFiles.get(b.bucket) === filesOf(b, view);
      const kept = new Set(m.buckets.filter(same).map((b) => b.bucket));
      const panes: Pane[] = old ? old.panesWhere((bucket) => kept.has(bucket)) : [];
      const changed = m.buckets.filter((b) => !kept.has(b.bucket) && (b.files[view]?.length ?? 0) > 0);
      if (changed.length > 0) for (const p of await this.#reader.bucketPanes(m, view, changed)) panes.push(p);
      const def = this.#pipeline?.views.find((v) => v.name === view);
      const totals = def && fitsBuckets(def.def.window, this.#pipeline!.config.bucketMs) ? { aggregate: def.aggregate, bucketMs: this.#pipeline!.config.bucketMs } : undefined;
      indexes.set(view, PaneIndex.build(view, accumulatorLayout(m.views[view].measures).width, panes, totals));
    }
    const unknown = (view: string) => this.#reader.viewProblem(m, view);
    const snapshot: BatchSnapshot = {
      runId: m.runId,
      horizon: m.horizon,
      gateFailures: lastRejection(m),
      panes: async (q: BatchPaneQuery) => {
        const index = indexes.get(q.view);
        if (!index) throw problems.get(q.view) ?? unknown(q.view);
        return index.query(q);
      },
      rangeTotals: (view: string, from: number, to: number, into: Map<string, RangeTotal<'batch'>>) => {
        const index = indexes.get(view);
        if (!index?.hasTotals || m.horizon === null) return false;
        index.addRangeTotals(from, to, m.horizon, into);
        return true;
      },
    };
    return { snapshot, manifest: m, indexes };
  }
}

/** The identity of a bucket's pane files of one view. */
function filesOf(b: PublishedBucket, view: string): string {
  return (b.files[view] ?? []).join('\n');
}

/** Which run's rejections a manifest records last (and when), to tell a new rejection from the ones loaded. */
function rejectionMark(m: BatchManifest | undefined): string {
  const last = m?.rejected?.[m.rejected.length - 1];
  return last === undefined ? '' : `${last.runId} ${last.at}`;
}
