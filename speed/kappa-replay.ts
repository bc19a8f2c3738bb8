import type { ViewStore } from '../shared/ports/view-store.ts';
import { StreamJob, type StreamJobDeps, type StreamProgress, type StreamStart } from './stream-job.ts';

/** The alias serving reads in Kappa mode. */
export const KAPPA_ALIAS = 'kappa';
const VERSION = /^kappa_v(\d+)$/;

export interface ReplayResult {
  readonly namespace: string;
  readonly previous: string | undefined;
  readonly records: number;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  readonly cutOver: boolean;
}

export interface ReplayOptions {
  /** Where the backfill starts: the whole log by default, or a timestamp. */
  readonly from?: StreamStart;
  /** Point the `kappa` alias at the new version when the replay reached the end (default true). */
  readonly cutOver?: boolean;
  /** Older versions to keep besides the new one and the one it replaces (default 0). */
  readonly keepOlder?: number;
  /**
   * Write the dead-letter and late records the side topics lack (default false: the live job owns
   * them; a replay writing them fences its writers while both run). Never twice per source offset.
   */
  readonly sideOutputs?: boolean;
  readonly onProgress?: (p: StreamProgress) => void;
}

/** The next free Kappa version name (kappa_v1, kappa_v2, ...). */
export async function nextKappaVersion(views: ViewStore): Promise<string> {
  let max = 0;
  for (const ns of await views.listNamespaces()) {
    const m = VERSION.exec(ns);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `kappa_v${max + 1}`;
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
  const job = new StreamJob(deps, {
    namespace,
    from: options.from ?? { kind: 'earliest' },
    stopAtEnd: true,
    emit: 'onWindowClose',
    sideOutputs: options.sideOutputs ?? false,
    onCommit: options.onProgress,
  });
  try {
    const sub = await job.start();
    await sub.done;
  } catch (err) {
    await deps.views.dropNamespace(namespace).catch(() => undefined);
    throw err;
  }
  const elapsedMs = Date.now() - started;
  const cutOver = options.cutOver ?? true;
  if (cutOver) {
    await deps.views.setAlias(KAPPA_ALIAS, namespace);
    await dropOldVersions(deps.views, namespace, previous, options.keepOlder ?? 0);
  }
  return {
    namespace,
    previous,
    records: job.records,
    elapsedMs,
    eventsPerSecond: elapsedMs > 0 ? Math.round((job.records * 1000) / elapsedMs) : job.records,
    cutOver,
  };
}

/**
 * Drops the versions older than `current` except `previous` and the `keepOlder` newest finished
 * ones; unfinished loads older than `current` (replays that crashed) always go. Newer versions
 * are left alone: another replay may be loading one.
 */
async function dropOldVersions(views: ViewStore, current: string, previous: string | undefined, keepOlder: number): Promise<void> {
  const number = (ns: string) => Number(VERSION.exec(ns)![1]);
  const unfinished = new Set(await views.unfinishedLoads());
  const older = (await views.listNamespaces()).filter((ns) => VERSION.test(ns) && number(ns) < number(current) && ns !== previous).sort((a, b) => number(b) - number(a));
  const kept = older.filter((ns) => !unfinished.has(ns)).slice(0, keepOlder);
  for (const ns of older) if (!kept.includes(ns)) await views.dropNamespace(ns);
}
