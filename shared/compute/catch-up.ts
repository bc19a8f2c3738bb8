import { SavepointError } from '../errors.ts';
import type { PartitionCheckpoint } from './partition-processor.ts';

/** The part of a checkpoint that the records before its offset determine (everything but the offset). */
export type CheckpointState = Pick<PartitionCheckpoint, 'maxEventTime' | 'watermarkProgress' | 'lastAppendTime' | 'stats'>;

/**
 * A partition whose views start at different offsets: a job started from a savepoint that lacks
 * some of its views (speed/savepoint-restore.ts). The resumed views hold the records before the
 * savepoint's offset already, the new ones start earlier (or later); the partition reads from the
 * lowest start and each view folds only the records from its own. Stored in the checkpoint, so a
 * restart mid-way keeps every view's start; dropped once the partition is past all of them.
 */
export interface CatchUp {
  /** Per view, the first offset it folds. Views not listed fold every record the partition reads. */
  readonly viewsFrom: Readonly<Record<string, number>>;
  /**
   * The state the partition must reach at `offset` (the savepoint's checkpoint), when it reads
   * from before it: the resumed views go on from there with the watermark and dedup state they
   * had, which holds only if the partition started where the savepoint's namespace did. Checked
   * once the partition gets there (catchUpMismatch).
   */
  readonly expect?: { readonly offset: number; readonly state: CheckpointState };
}

/** The differences between the state a partition reached and the one it was expected to (none: it equals). */
export function catchUpMismatch(expected: CheckpointState, reached: CheckpointState): string[] {
  const out: string[] = [];
  const field = (name: string, want: unknown, got: unknown) => {
    if (want !== got) out.push(`${name} ${String(got)}, the savepoint's ${String(want)}`);
  };
  field('max event time', expected.maxEventTime, reached.maxEventTime);
  // Older checkpoints lack these: nothing to compare.
  if (expected.watermarkProgress !== undefined) field('watermark progress', expected.watermarkProgress, reached.watermarkProgress);
  if (expected.lastAppendTime !== undefined) field('last append time', expected.lastAppendTime, reached.lastAppendTime);
  for (const k of ['valid', 'deadLetter', 'duplicate', 'tooLate'] as const) field(`${k} count`, expected.stats[k], reached.stats[k]);
  return out;
}

/** The partition caught up to the savepoint's offset with another state than the savepoint's: its resumed views would be wrong from here on. */
export function catchUpMismatchError(partition: number, offset: number, differences: readonly string[]): SavepointError {
  return new SavepointError(
    `partition ${partition} reached the savepoint's offset ${offset} in another state (${differences.join('; ')}): the savepoint's namespace did not start at the position its new views were built from ` +
      '(or the log lost records since, to retention); drop this namespace and start again with --new-views-from the position the savepoint\'s namespace started from, or rebuild every view with lk replay',
  );
}
