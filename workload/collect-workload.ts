import type { GeneratedRecord, WorkloadFacts } from './messy-workload.ts';

/** A whole workload, in memory. */
export interface Workload<M extends string = string> {
  readonly records: GeneratedRecord<M>[];
  readonly facts: WorkloadFacts<M>;
}

/** Runs a workload generator to its end, into memory (tests, small demos). */
export function collectWorkload<M extends string>(it: Iterator<GeneratedRecord<M>, WorkloadFacts<M>>): Workload<M> {
  const records: GeneratedRecord<M>[] = [];
  for (;;) {
    const step = it.next();
    if (step.done) return { records, facts: step.value };
    records.push(step.value);
  }
}
