import { LkError } from '../shared/errors.ts';
import type { BatchSnapshot } from '../serving/batch-pane-source.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import type { LateFootprint } from '../shared/compute/late-footprint.ts';
import type { CutoverThresholds, CutoverVerdict } from './cutover-gate.ts';
import { cutOverTo } from './kappa-cutover.ts';
import { KAPPA_ALIAS, kappaVersionNumber, nextKappaVersion } from './kappa-version.ts';
import type { ReplayProgressReporter } from './replay-progress.ts';
import { StreamJob, type StreamJobDeps, type StreamProgress, type StreamStart } from './stream-job.ts';

export interface ReplayResult {
  readonly namespace: string;
  readonly previous: string | undefined;
  readonly records: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  /** The replay job's transform CPU on the main thread (StreamJob.computeCpuMs). */
  readonly computeCpuMs: number;
  readonly cutOver: boolean;
  /** The correctness gate's verdict on the new version (absent without a cut-over). cutOver is false when it refused. */
  readonly verdict?: CutoverVerdict;
}

export interface ReplayOptions {
  /** Where the backfill starts: the whole log by default, or a timestamp. */
  readonly from?: StreamStart;
  /**
   * Point the `kappa` alias at the new version when the replay reached the end (default true),
   * if the correctness gate passes (cutover-gate.ts): the new version against the one serving
   * and against `batch` when given. A refused version stays, not served.
   */
  readonly cutOver?: boolean;
  /** The published batch to compare the new version with before the cut-over. */
  readonly batch?: BatchSnapshot;
  /** The windows the stream's too-late events touch: where the new version may differ from batch. */
  readonly late?: LateFootprint;
  readonly thresholds?: CutoverThresholds;
  /** Cut over whatever the gate says (the verdict is still returned). */
  readonly force?: boolean;
  /** Older versions to keep besides the new one and the one it replaces (default 0). */
  readonly keepOlder?: number;
  /**
   * Write the dead-letter and late records the side topics lack (default false: the live job owns
   * them; a replay writing them fences its writers while both run). Never twice per source offset.
   */
  readonly sideOutputs?: boolean;
  /**
   * Seeds the new version before the job reads (a savepoint's state, savepoint-restore.ts): the
   * job then goes on from the seeded checkpoints, writing on window update instead of
   * bulk-loading (a load starts from nothing). Absent: the version is bulk-loaded from `from`.
   */
  readonly seed?: (namespace: string) => Promise<void>;
  readonly onProgress?: (p: StreamProgress) => void;
  /** Publishes the replay's progress and state for serving to show (replay-progress.ts). */
  readonly progress?: ReplayProgressReporter;
  /**
   * Stops the replay before the end of the log (`lk run` shutting down): its version is dropped,
   * as a failed replay's is, and the replay rejects. Never cut over part-way.
   */
  readonly signal?: AbortSignal;
}

/**
 * The Kappa backfill: the same StreamJob, reading the log from the start into a new version of
 * the views, bounded by the end offsets at start; then the cut-over, one atomic alias switch, so
 * serving moves from the old version to the complete new one and never sees a half-built version.
 *
 * The version is bulk-loaded (the job emits on window close): each pane is written once, when
 * the watermark closes its bucket, as an append the store indexes at the end, instead of being
 * upserted at every commit while it changes. So a replay that stops part-way is not resumed: its
 * version is dropped (here on failure, at the next cut-over after a crash) and the next replay
 * starts over. The finished version's checkpoints let the live Kappa job continue it where the
 * replay stopped.
 */
export async function runKappaReplay(deps: StreamJobDeps, options: ReplayOptions = {}): Promise<ReplayResult> {
  const namespace = await nextKappaVersion(deps.views);
  const previous = await deps.views.getAlias(KAPPA_ALIAS);
  const started = Date.now();
  const progress = options.progress;
  // The job reads to the end offsets it finds when it starts: about these.
  await progress?.start(namespace, previous ?? null, await deps.log.endOffsets(deps.topics.events));
  const job = new StreamJob(deps, {
    namespace,
    from: options.from ?? { kind: 'earliest' },
    stopAtEnd: true,
    emit: options.seed ? 'onWindowUpdate' : 'onWindowClose',
    sideOutputs: options.sideOutputs ?? false,
    onCommit: (p) => {
      progress?.update(p);
      options.onProgress?.(p);
    },
  });
  try {
    await options.seed?.(namespace);
    const sub = await job.start();
    const stop = () => void sub.stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      if (options.signal?.aborted) await sub.stop();
      await sub.done;
    } finally {
      options.signal?.removeEventListener('abort', stop);
    }
    // A stopped load finishes with what it read: a version of part of the log, which must not serve.
    if (options.signal?.aborted) throw new LkError(`the replay into ${namespace} was stopped before the end of the log; its version was dropped (run the backfill again)`);
  } catch (err) {
    await deps.views.dropNamespace(namespace).catch(() => undefined);
    await progress?.state('failed', err instanceof Error ? err.message : String(err));
    throw err;
  }
  const elapsedMs = Date.now() - started;
  let cutOver = false;
  let verdict: CutoverVerdict | undefined;
  if (options.cutOver ?? true) {
    await progress?.state('gating');
    const r = await cutOverTo({ views: deps.views, pipeline: deps.pipeline, batch: options.batch, late: options.late }, namespace, { force: options.force, thresholds: options.thresholds }).catch(async (err: unknown) => {
      // The version stays built (as a refused one does); the progress must not say "gating" forever.
      await progress?.state('failed', `the cut-over failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    });
    ({ cutOver, verdict } = r);
    if (cutOver) await dropOldVersions(deps.views, namespace, previous, options.keepOlder ?? 0);
  }
  await progress?.state(cutOver ? 'served' : options.cutOver ?? true ? 'refused' : 'built');
  return {
    namespace,
    previous,
    records: job.records,
    elapsedMs,
    eventsPerSecond: elapsedMs > 0 ? Math.round((job.records * 1000) / elapsedMs) : job.records,
    computeCpuMs: job.computeCpuMs,
    cutOver,
    verdict,
  };
}

/**
 * Drops the versions older than `current` except `previous` and the `keepOlder` newest finished
 * ones; unfinished loads older than `current` (replays that crashed) always go. Newer versions
 * are left alone: another replay may be loading one.
 */
async function dropOldVersions(views: ViewStore, current: string, previous: string | undefined, keepOlder: number): Promise<void> {
  const number = (ns: string) => kappaVersionNumber(ns) ?? 0;
  const unfinished = new Set(await views.unfinishedLoads());
  const older = (await views.listNamespaces()).filter((ns) => kappaVersionNumber(ns) !== undefined && number(ns) < number(current) && ns !== previous).sort((a, b) => number(b) - number(a));
  const kept = older.filter((ns) => !unfinished.has(ns)).slice(0, keepOlder);
  for (const ns of older) if (!kept.includes(ns)) await views.dropNamespace(ns);
}
