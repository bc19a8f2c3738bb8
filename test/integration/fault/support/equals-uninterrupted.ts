import { expect } from 'vitest';
import type { Adapters } from '../../../../infra/adapters.ts';
import type { FaultRun } from './fault-run.ts';
import { referenceRun } from './reference-run.ts';
import { bySource, expectedDeadLetters, readTopic } from './side-outputs-check.ts';
import { viewSnapshot } from './view-snapshot.ts';

/** What the side topics of a faulty run held (for the test's log line). */
export interface SideOutputCounts {
  readonly deadLetters: number;
  readonly late: number;
}

/**
 * Asserts that the `speed` namespace a faulty run left equals an uninterrupted run over the same
 * log (panes and checkpoints per partition, and the served windows), and that its side topics hold
 * every bad and every too-late record exactly once per source offset, on its source partition, as
 * the uninterrupted run's do: no repeat, whatever was killed. Call it once the run caught up.
 */
export async function expectEqualsUninterrupted(run: FaultRun, adapters: Adapters): Promise<SideOutputCounts> {
  const { config, pipeline } = run;
  const partitions = await adapters.log.partitionCount(config.topics.events);
  const reference = { ...config.topics, deadLetter: `${config.topics.events}.ref-dead-letter`, late: `${config.topics.events}.ref-late` };
  await referenceRun(adapters, pipeline, reference, 'reference', { sideOutputs: true });
  const faulty = await viewSnapshot(adapters.views, 'speed', pipeline, partitions);
  const uninterrupted = await viewSnapshot(adapters.views, 'reference', pipeline, partitions);
  expect(faulty.checkpoints).toEqual(uninterrupted.checkpoints);
  expect(faulty.panes).toEqual(uninterrupted.panes);
  expect(faulty.windows).toEqual(uninterrupted.windows);

  const events = await readTopic(adapters.log, config.topics.events);
  const dead = bySource(await readTopic(adapters.log, config.topics.deadLetter), config.topics.events);
  const refDead = bySource(await readTopic(adapters.log, reference.deadLetter), config.topics.events);
  expect(dead.repeated).toEqual([]);
  expect(dead.misplaced).toEqual([]);
  expect(dead.reasons).toEqual(expectedDeadLetters(events, pipeline));
  expect(dead.reasons).toEqual(refDead.reasons);
  expect(dead.reasons.size).toBeGreaterThan(0);
  const late = bySource(await readTopic(adapters.log, config.topics.late), config.topics.events);
  const refLate = bySource(await readTopic(adapters.log, reference.late), config.topics.events);
  expect(late.repeated).toEqual([]);
  expect(late.misplaced).toEqual([]);
  expect(late.reasons).toEqual(refLate.reasons);
  expect(refDead.repeated.length + refLate.repeated.length).toBe(0);
  return { deadLetters: dead.reasons.size, late: late.reasons.size };
}
