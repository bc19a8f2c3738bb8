import { PartitionProcessor } from '../shared/compute/partition-processor.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { bucketOf } from '../shared/time/bucket.ts';

/** The only namespace whose panes are retired: the Lambda speed layer. A Kappa version is the only copy of its history. */
export const RETIRING_NAMESPACE = 'speed';

/** Default time the speed layer keeps panes the batch layer already covers (for `mode=speed` queries and a late batch). */
export const DEFAULT_SPEED_RETENTION_MS = 3 * 3_600_000;

/**
 * The bucket below which the speed layer's panes may be dropped (exclusive), or undefined when
 * none may: Summingbird's online store keeps only the batches the offline store lacks.
 *
 * A pane goes once the batch horizon is past its bucket by `retentionMs` (Lambda serves batch
 * there, so only `mode=speed` still reads it), and never while a partition could restore it on a
 * restart (PartitionProcessor.restoreFloor of every stored checkpoint): a dropped pane that a job
 * still needed would come back partial.
 */
export function retirementCutoff(horizon: number | null, retentionMs: number, restoreFloors: Iterable<number>, bucketMs: number): number | undefined {
  if (horizon === null) return undefined;
  let cutoff = bucketOf(horizon - retentionMs, bucketMs);
  for (const floor of restoreFloors) cutoff = Math.min(cutoff, floor);
  return cutoff === Number.MIN_SAFE_INTEGER ? undefined : cutoff;
}

export interface RetirementResult {
  /** Panes of buckets below this were dropped; undefined when nothing could go yet. */
  readonly cutoff: number | undefined;
  readonly dropped: number;
}

/** Retires the speed layer's panes the batch layer covers (retirementCutoff), once. */
export async function retireCoveredPanes(views: ViewStore, pipeline: Pipeline, horizon: number | null, retentionMs: number): Promise<RetirementResult> {
  const checkpoints = await views.checkpoints(RETIRING_NAMESPACE);
  const floors = [...checkpoints.values()].map((cp) => PartitionProcessor.restoreFloor(pipeline, cp));
  const cutoff = retirementCutoff(horizon, retentionMs, floors, pipeline.config.bucketMs);
  if (cutoff === undefined) return { cutoff, dropped: 0 };
  return { cutoff, dropped: await views.expireBefore(RETIRING_NAMESPACE, cutoff) };
}

/** Refuses retirement for a namespace other than the speed layer's (a Kappa version keeps its whole history). */
export function assertRetiringNamespace(namespace: string): void {
  if (namespace !== RETIRING_NAMESPACE) {
    throw new BadRequestError('--retention-ms', `only the speed layer's panes are retired once the batch covers them; namespace "${namespace}" is a Kappa version, the only copy of its history`);
  }
}

export interface RetirementSchedule {
  /** The published batch horizon, read fresh each time (the batch manifest's). */
  readonly horizon: () => Promise<number | null>;
  readonly retentionMs: number;
  /** How often to look (default 60 s): the horizon moves once per batch run. */
  readonly everyMs?: number;
  readonly onRetired?: (result: RetirementResult) => void;
  /** A failed round (manifest unreadable, store unavailable) is reported and tried again next time: retirement never stops the speed layer. */
  readonly onError?: (err: Error) => void;
}

/** Retires covered panes now and then every `everyMs` until the returned stop is called. */
export function scheduleRetirement(views: ViewStore, pipeline: Pipeline, schedule: RetirementSchedule): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  // A round still running when the next is due is not doubled: that tick is skipped.
  const round = () => {
    if (running) return;
    running = (async () => {
      try {
        schedule.onRetired?.(await retireCoveredPanes(views, pipeline, await schedule.horizon(), schedule.retentionMs));
      } catch (err) {
        schedule.onError?.(err as Error);
      } finally {
        running = undefined;
      }
    })();
  };
  round();
  const timer = setInterval(round, schedule.everyMs ?? 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
