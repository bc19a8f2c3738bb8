import { readManifest } from '../batch/batch-manifest.ts';
import { BatchViewReader } from '../batch/batch-view-reader.ts';
import { openObjectStore } from '../infra/adapters.ts';
import { DuckDb } from '../infra/duckdb/duckdb-database.ts';
import { LateFootprint } from '../shared/compute/late-footprint.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import { readLateEvents } from '../speed/late-events.ts';
import type { PlatformConfig } from '../shared/config.ts';
import { BadRequestError } from '../shared/errors.ts';
import type { BatchSnapshot } from '../serving/batch-pane-source.ts';
import { DEFAULT_CUTOVER_THRESHOLDS, describeVerdict, type CutoverThresholds, type CutoverVerdict } from '../speed/cutover-gate.ts';
import type { CommandEnv, OptionSpec, ParsedOptions } from './command.ts';

/** The options of a gated cut-over (lk replay, lk cutover). */
export const CUTOVER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  force: { type: 'boolean', description: 'cut over even when the new version diverges beyond the thresholds (the diff is still printed)' },
  'max-divergence': {
    type: 'string',
    valueName: 'SHARE',
    description: 'largest share of final windows (0-1) that may differ from the version serving now (the same log and pipeline give the same windows)',
    default: String(DEFAULT_CUTOVER_THRESHOLDS.maxDivergence),
  },
  'max-batch-divergence': {
    type: 'string',
    valueName: 'SHARE',
    description: 'largest share of final windows (0-1) that may differ from the batch layer below its horizon, besides those the too-late events in the late topic touch',
    default: String(DEFAULT_CUTOVER_THRESHOLDS.maxBatchDivergence),
  },
};

/** The thresholds the options give. */
export function thresholdsFrom(options: ParsedOptions): CutoverThresholds {
  const share = (name: string, fallback: number) => {
    const raw = options[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!(n >= 0 && n <= 1)) throw new BadRequestError(`--${name}`, `must be a share of windows from 0 to 1 (0.01 is 1%); got ${String(raw)}`);
    return n;
  };
  return { maxDivergence: share('max-divergence', DEFAULT_CUTOVER_THRESHOLDS.maxDivergence), maxBatchDivergence: share('max-batch-divergence', DEFAULT_CUTOVER_THRESHOLDS.maxBatchDivergence) };
}

/** What the gate compares with besides the serving version: the published batch and where too-late events fall. */
export interface GateInputs {
  /** Undefined before the first publish. */
  readonly batch: BatchSnapshot | undefined;
  readonly late: LateFootprint | undefined;
  /** The object store they were read from (open while `fn` runs). */
  readonly objects: ObjectStore;
}

/** Runs `fn` with the published batch (read from the object store) and the late topic's footprint (read from the log). */
export async function withGateInputs<T>(config: PlatformConfig, pipeline: Pipeline, log: EventLog, fn: (inputs: GateInputs) => Promise<T>): Promise<T> {
  const objects = await openObjectStore(config);
  try {
    if ((await readManifest(objects)) === undefined) return await fn({ batch: undefined, late: undefined, objects });
    const late = new LateFootprint(pipeline, await readLateEvents(log, config.topics, pipeline));
    const db = await DuckDb.open();
    try {
      return await fn({ batch: await new BatchViewReader({ objects, db, pipeline }).snapshot(), late, objects });
    } finally {
      await db.close();
    }
  } finally {
    await objects.close();
  }
}

/** Prints the gate's verdict: the whole diff when it refused (or was forced past), one line per comparison otherwise. */
export function printVerdict(env: CommandEnv, namespace: string, verdict: CutoverVerdict | undefined, cutOver: boolean): void {
  if (!verdict) return;
  env.err(`cut-over gate for ${namespace}: ${verdict.ok ? 'passed' : cutOver ? 'diverged, forced' : 'refused'}`);
  env.err(describeVerdict(namespace, verdict));
}
