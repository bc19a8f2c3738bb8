import type { MeasureResults } from '../shared/compute/aggregate.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import { definitionTruth } from './definition-truth.ts';

/** A raw record as the log holds it: the line and its append timestamp (what "far future" is judged against). */
export interface RawRecord {
  readonly value: string;
  readonly timestamp: number;
}

/** One window of a view according to the truth, measures by name. */
export interface TruthWindow {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly values: MeasureResults;
}

/** What the truth read: records = invalid + duplicate + events. */
export interface TruthCounts {
  /** Raw records read. */
  readonly records: number;
  /** Records the validator rejects (what the layers dead-letter). */
  readonly invalid: number;
  /** Valid records whose event_id an earlier valid record already had. */
  readonly duplicate: number;
  /** Distinct valid events: what every view is computed over. */
  readonly events: number;
}

/** The ground truth: counts and every covered view's windows. */
export interface GroundTruth {
  readonly counts: TruthCounts;
  /** Windows per view, sorted by key then start (the order mergePanes gives). */
  readonly views: Readonly<Record<string, readonly TruthWindow[]>>;
  /** Views of the pipeline this truth does not compute (the hand-written SQL covers only the reference views). */
  readonly uncovered: readonly string[];
}

/**
 * A way of computing the truth: fed raw records in log order (in chunks), then asked for the
 * result. `definitionTruth` (any pipeline, brute force from the definitions) is the default; the
 * hand-written SQL of the reference pipeline (`referenceTruth`) is the other.
 */
export interface TruthOracle {
  load(records: readonly RawRecord[]): Promise<void>;
  finish(): Promise<GroundTruth>;
  /** Frees what it holds when finish is not reached. */
  close(): Promise<void>;
}

export type TruthOracleFactory = (pipeline: Pipeline) => Promise<TruthOracle>;

const CHUNK = 10_000;

/** The ground truth over raw records given in log order (see TruthOracle; the definitions' truth by default). */
export async function computeGroundTruth(pipeline: Pipeline, records: Iterable<RawRecord> | AsyncIterable<RawRecord>, oracle: TruthOracleFactory = definitionTruth): Promise<GroundTruth> {
  return withOracle(pipeline, oracle, async (load) => {
    let chunk: RawRecord[] = [];
    for await (const r of records) {
      chunk.push(r);
      if (chunk.length >= CHUNK) {
        await load(chunk);
        chunk = [];
      }
    }
    await load(chunk);
  });
}

/** The ground truth of everything in a topic now: reads every partition from its earliest offset to its current end. */
export async function groundTruthFromLog(pipeline: Pipeline, log: EventLog, topic: string, oracle: TruthOracleFactory = definitionTruth): Promise<GroundTruth> {
  return withOracle(pipeline, oracle, async (load) => {
    // Order across partitions does not matter: duplicates share their key, hence their partition,
    // and within a partition batches arrive in offset order. A redelivered offset (the log is
    // at-least-once) is the same record, not a duplicate event, so it is read once.
    const next = new Map<number, number>();
    const sub = await log.consume({
      topic,
      from: { kind: 'earliest' },
      stopAtEnd: true,
      onBatch: (batch) => {
        const from = next.get(batch.partition) ?? Number.NEGATIVE_INFINITY;
        const fresh = batch.records.filter((r) => r.offset >= from);
        if (fresh.length > 0) next.set(batch.partition, fresh[fresh.length - 1].offset + 1);
        return load(fresh);
      },
    });
    await sub.done;
  });
}

async function withOracle(pipeline: Pipeline, make: TruthOracleFactory, fill: (load: (records: readonly RawRecord[]) => Promise<void>) => Promise<void>): Promise<GroundTruth> {
  const oracle = await make(pipeline);
  try {
    await fill((records) => oracle.load(records));
    return await oracle.finish();
  } finally {
    await oracle.close();
  }
}
