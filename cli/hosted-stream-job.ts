import { FencedError } from '../shared/errors.ts';
import type { FlowState } from '../speed/buffer-bound.ts';
import type { LatencySummary } from '../shared/metrics/latency-histogram.ts';
import { StreamJob, type StreamJobDeps, type StreamJobOptions, type StreamProgress } from '../speed/stream-job.ts';

/** A live stream job kept running by hostStreamJob. */
export interface HostedStreamJob {
  readonly namespace: string;
  /** Next visible offset per partition of the job running now (to tell whether it caught up). */
  positions(): ReadonlyMap<number, number>;
  /** The running job's backpressure state (undefined before the first job starts). */
  flow(): FlowState | undefined;
  /** Resolves once `signal` stopped it; rejects on any failure but a fenced commit. */
  readonly done: Promise<{ readonly records: number; readonly freshness: LatencySummary }>;
}

export interface StreamJobHooks {
  /** Stops the job (a clean stop: everything read is committed first). */
  readonly signal: AbortSignal;
  /** Each commit, with the records processed over every restart. */
  readonly onCommit?: (p: StreamProgress, records: number) => void;
  /** Once, when the first job consumes. */
  readonly onStarted?: () => void;
  /** A fenced commit ended a job; the next one starts from the stored checkpoints. */
  readonly onRestart?: (err: FencedError) => void;
}

/**
 * Runs a live stream job (`lk speed`, and each job `lk run` hosts) until `signal` aborts. A fenced
 * commit or side-output append means another member took a partition over while this one still
 * had work on it (a rebalance it learnt of late): that work is void, so the job starts again from
 * the stored checkpoints, rejoining the group, as a Kafka Streams thread does after TaskMigrated.
 */
export function hostStreamJob(deps: StreamJobDeps, options: Omit<StreamJobOptions, 'onCommit'>, hooks: StreamJobHooks): HostedStreamJob {
  let current: StreamJob | undefined;
  let records = 0;
  const stopCurrent = () => void current?.stop();
  hooks.signal.addEventListener('abort', stopCurrent, { once: true });
  const done = (async () => {
    try {
      for (;;) {
        const job = new StreamJob(deps, { ...options, onCommit: (p) => hooks.onCommit?.(p, records + p.records) });
        current = job;
        const sub = await job.start();
        if (records === 0) hooks.onStarted?.();
        if (hooks.signal.aborted) await sub.stop();
        try {
          await sub.done;
          records += job.records;
          return { records, freshness: job.freshness.summary() };
        } catch (err) {
          if (!(err instanceof FencedError) || hooks.signal.aborted) throw err;
          records += job.records;
          hooks.onRestart?.(err);
        }
      }
    } finally {
      hooks.signal.removeEventListener('abort', stopCurrent);
    }
  })();
  return { namespace: options.namespace, positions: () => current?.positions() ?? new Map(), flow: () => current?.flow(), done };
}
