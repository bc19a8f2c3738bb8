import { setTimeout as sleep } from 'node:timers/promises';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { KAPPA_ALIAS, nextKappaVersion } from '../speed/kappa-version.ts';
import type { StreamJobDeps, StreamJobOptions, StreamProgress } from '../speed/stream-job.ts';
import { hostStreamJob, type HostedStreamJob } from './hosted-stream-job.ts';

/** The live Kappa job as `lk run` hosts it: whichever version the `kappa` alias serves. */
export interface LiveKappaJob {
  /** The version the job continues now. */
  namespace(): string;
  positions(): ReadonlyMap<number, number>;
  /** Resolves once `signal` stopped it, with the records it processed over every version. */
  readonly done: Promise<{ readonly records: number }>;
}

export interface LiveKappaHooks {
  readonly signal: AbortSignal;
  readonly say: (line: string) => void;
  /** Each commit, with the records the job on that version processed. */
  readonly onCommit?: (namespace: string, p: StreamProgress, records: number) => void;
  /** How often the alias is read to follow a cut-over or rollback (default 1000 ms). */
  readonly aliasPollMs?: number;
}

/**
 * Runs the live Kappa job on the version the `kappa` alias names (creating kappa_v1, built from
 * the start of the log, when none is served yet), and follows the alias: when a cut-over or a
 * rollback moves it (the admin endpoints, or a `--backfill`), the job on the old version stops
 * with everything it read committed, and one on the new version continues it from its
 * checkpoints. So `lk run` needs no restart to serve a backfill live.
 */
export async function hostLiveKappaJob(deps: StreamJobDeps, options: Omit<StreamJobOptions, 'onCommit' | 'namespace' | 'groupId'>, hooks: LiveKappaHooks): Promise<LiveKappaJob> {
  let namespace = await servedVersion(deps.views, hooks.say);
  let current: HostedStreamJob | undefined;
  let records = 0;
  const done = (async () => {
    for (;;) {
      const version = namespace;
      const stop = new AbortController();
      const onStop = () => stop.abort();
      hooks.signal.addEventListener('abort', onStop, { once: true });
      // Stopped before this version's job started (a signal during start-up): it stops at once.
      if (hooks.signal.aborted) stop.abort();
      try {
        const job = hostStreamJob(deps, { ...options, namespace: version, groupId: `lk-${version}` }, {
          signal: stop.signal,
          onCommit: (p, r) => hooks.onCommit?.(version, p, r),
          onStarted: () => hooks.say(`consuming ${deps.topics.events} into ${version} (the version the ${KAPPA_ALIAS} alias serves), side outputs ${options.sideOutputs ? 'on' : 'off'}`),
          onRestart: (err) => hooks.say(`${err.message}; restarting from the stored checkpoints`),
        });
        current = job;
        const moved = await Promise.race([aliasMove(deps.views, version, stop.signal, hooks.aliasPollMs ?? 1_000), job.done.then(() => undefined)]);
        stop.abort();
        records += (await job.done).records;
        if (moved === undefined || hooks.signal.aborted) return { records };
        hooks.say(`the ${KAPPA_ALIAS} alias moved from ${version} to ${moved}: the live job continues ${moved} from its checkpoints`);
        namespace = moved;
      } finally {
        stop.abort();
        hooks.signal.removeEventListener('abort', onStop);
      }
    }
  })();
  return { namespace: () => namespace, positions: () => current?.positions() ?? new Map(), done };
}

/** The version the alias serves, or a new one made to serve (nothing is served in Kappa mode without one). */
async function servedVersion(views: ViewStore, say: (line: string) => void): Promise<string> {
  const served = await views.getAlias(KAPPA_ALIAS);
  if (served !== undefined) return served;
  const created = await nextKappaVersion(views);
  await views.ensureNamespace(created);
  await views.setAlias(KAPPA_ALIAS, created);
  say(`no Kappa version was served: created ${created}, built live from the start of the log`);
  return created;
}

/** Resolves with the alias's new namespace once it no longer names `from`; undefined when `signal` stops the watch first. */
async function aliasMove(views: ViewStore, from: string, signal: AbortSignal, pollMs: number): Promise<string | undefined> {
  while (!signal.aborted) {
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      return undefined;
    }
    const served = await views.getAlias(KAPPA_ALIAS);
    if (served !== undefined && served !== from) return served;
  }
  return undefined;
}
