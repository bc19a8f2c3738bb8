import type { PipelineConfig } from './pipeline.ts';

/** One record a pipeline's workload generator produces: the raw line, its log key and append time. */
export interface WorkloadRecord {
  readonly key: string | null;
  readonly value: string;
  readonly timestamp: number;
}

/**
 * A pipeline's seeded workload generator, for `lk generate` and the demo: records in append
 * order, the same for the same options (seed, events, startTime, spanMs, the fractions of
 * out-of-order, too-late, duplicate and malformed records; others its own), returning facts
 * about what it made. Optional: without one, give the demo records with --input.
 */
export type WorkloadGenerator = (options: Readonly<Record<string, number>>, config: PipelineConfig) => Iterator<WorkloadRecord, unknown>;
