import { describe, expect, it } from 'vitest';
import { computeGroundTruth, type TruthWindow } from '../../../compare/ground-truth.ts';
import { pipelineConfigOf } from '../../../shared/compute/define-pipeline.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { compilePipeline, type Pipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import type { Event } from '../../../shared/model/event.ts';
import { bucketOf } from '../../../shared/time/bucket.ts';
import { mergeLayers } from '../../../serving/layer-merge.ts';
import { Random } from '../../../workload/random.ts';
import { RANDOM_PIPELINE_EPOCH, randomPipeline, randomPipelineRecords, type RandomPipeline } from '../../support/random-pipeline.ts';
import { runPartitions } from '../support/run-partitions.ts';

/**
 * THE seam property over random pipelines (random schemas, keys, filters, windows, measures,
 * bucket sizes and lateness) and random horizons: batch panes below a horizon (the engine's fold
 * of the events before it) plus the speed transform's panes from it on, merged by serving's merge,
 * equal the brute-force truth of the definitions (compare/definition-truth.ts, which shares no
 * code with the engine) for every window, including those the horizon cuts. A failure prints the
 * seed and the generated definition: `randomPipeline(seed)` rebuilds it.
 */
const SEEDS = Array.from({ length: 120 }, (_, i) => i + 1);
const T = RANDOM_PIPELINE_EPOCH;
const HORIZONS = 6;

/** What the seeds covered, so the property is known not to be vacuous (checked by the last test). */
const covered = { cutSliding: 0, cutSessions: 0, joined: 0, compositeKeys: 0, globalViews: 0, absentValues: 0, duplicates: 0 };

/** A served or true window in one shape: measures by name. */
type Answer = Pick<TruthWindow, 'key' | 'start' | 'end' | 'values'>;

function reproduction(rp: RandomPipeline, what: string): string {
  return `seed ${rp.seed}: ${what}\nreproduce with randomPipeline(${rp.seed}) (test/support/random-pipeline.ts); the definition:\n${rp.text}`;
}

/**
 * The first window where two answers differ, described; null when they are the same. Numbers
 * compare by ===: a min or max over both 0 and -0 (a product of a zero and a negative) keeps
 * whichever zero it meets first, and the order differs between the truth and the merge.
 */
function firstDifference(served: readonly Answer[], truth: readonly Answer[]): string | null {
  const show = (w: Answer | undefined) => (w ? `key ${JSON.stringify(w.key)} [${new Date(w.start).toISOString()}, ${new Date(w.end).toISOString()}) ${JSON.stringify(w.values, (_, v) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v))}` : 'nothing');
  for (let i = 0; i < Math.max(served.length, truth.length); i++) {
    const a = served[i];
    const b = truth[i];
    const same = a && b && a.key === b.key && a.start === b.start && a.end === b.end && Object.keys(b.values).every((m) => a.values[m] === b.values[m]);
    if (!same) return `window ${i} of ${truth.length}: served ${show(a)}, truth ${show(b)}`;
  }
  return null;
}

async function scenario(seed: number) {
  const rp = randomPipeline(seed);
  let pipeline: Pipeline;
  try {
    pipeline = compilePipeline(pipelineConfigOf(rp.definition));
  } catch (err) {
    throw new Error(reproduction(rp, `the generated pipeline does not compile: ${(err as Error).message}`), { cause: err });
  }
  const rng = new Random(seed);
  const bucketMs = pipeline.config.bucketMs;
  const start = T + rng.int(0, 59) * 60_000;
  const spanMs = rng.int(3, 5) * bucketMs;
  const records = randomPipelineRecords(rp.definition, { seed, events: rng.int(300, 900), start, spanMs, partitions: rng.int(1, 4), duplicateRate: 0.04 });
  // Flushes now rare, now frequent: merges that retire stored panes cross flushes.
  const run = runPartitions(pipeline, records, rng, rng.pick([0.002, 0.02, 0.2]));
  const truth = await computeGroundTruth(pipeline, records.map((r) => r.record));
  // The generator's own contract: every record valid and none too late (else the truth and the speed layer rightly differ).
  expect(truth.counts.invalid, reproduction(rp, 'the generator wrote invalid records')).toBe(0);
  for (const p of run.processors.values()) expect(p.stats.tooLate, reproduction(rp, 'the generator wrote records later than the allowed lateness')).toBe(0);
  // Batch reads the master dataset: every valid record, in log order (its fold keeps the first copy).
  const events: Event[] = [];
  for (const { record } of records) {
    const v = pipeline.validator.validateRecord(record.value, record.timestamp);
    if (v.ok) events.push(v.event);
  }
  // Horizons at random bucket boundaries, from a bucket before the first event to one past the last.
  const boundaries: number[] = [];
  for (let h = bucketOf(start, bucketMs) - bucketMs; h <= start + spanMs + 2 * bucketMs; h += bucketMs) boundaries.push(h);
  const horizons = [...new Set(Array.from({ length: HORIZONS }, () => rng.pick(boundaries)))].sort((a, b) => a - b);
  covered.duplicates += truth.counts.duplicate;
  covered.absentValues += events.reduce((n, e) => n + Object.values(e).filter((v) => v === null).length, 0);
  return { rp, pipeline, events, speed: run.store.allPanes(), truth: truth.views, horizons };
}

describe('the seam at the batch horizon, over random pipelines', () => {
  it.each(SEEDS)('batch below a random horizon + speed from it, merged by serving, equals the truth of the definitions (seed %i)', async (seed) => {
    const { rp, pipeline, events, speed, truth, horizons } = await scenario(seed);
    for (const view of pipeline.views) {
      if (view.keyFields.length > 1) covered.compositeKeys++;
      if (view.keyFields.length === 0) covered.globalViews++;
    }
    for (const h of horizons) {
      const batch = foldEvents(pipeline, events.filter((e) => pipeline.timeOf(e) < h));
      expect(batch.every((p) => p.bucket < h), reproduction(rp, `batch holds a bucket from the horizon ${new Date(h).toISOString()} on`)).toBe(true);
      for (const view of pipeline.views) {
        const of = (panes: Pane[]) => panes.filter((p) => p.view === view.name);
        // Speed still holds buckets below the horizon: the merge must leave them out.
        const served = mergeLayers(view, 'lambda', { batch: of(batch), speed: of(speed) }, h);
        const answers = served.map(({ key, start, end, acc }) => ({ key, start, end, values: view.aggregate.named(acc) }));
        const difference = firstDifference(answers, truth[view.name]);
        expect(difference, reproduction(rp, `view ${view.name} at horizon ${new Date(h).toISOString()}: ${difference}`)).toBeNull();
        const late = served.find((w) => w.end <= h && w.tags.join() !== 'batch');
        expect(late, reproduction(rp, `view ${view.name}: a window ending by the horizon ${new Date(h).toISOString()} is not served from batch alone`)).toBeUndefined();
        const cut = served.filter((w) => w.start < h && h < w.end);
        if (view.def.window.kind === 'sliding') covered.cutSliding += cut.length;
        if (view.def.window.kind === 'session') covered.cutSessions += cut.length;
        covered.joined += cut.filter((w) => w.tags.length === 2).length;
      }
    }
  });

  it('covered windows the horizon cuts, joined from both layers, composite and global keys, absent fields and duplicates', () => {
    for (const [what, n] of Object.entries(covered)) expect(n, what).toBeGreaterThan(0);
  });
});
