import { afterEach, describe, expect, it } from 'vitest';
import { archive } from '../../batch/archiver.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { readManifest } from '../../batch/batch-manifest.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import type { Pane } from '../../shared/compute/pane.ts';
import { mergePanes } from '../../shared/compute/pane-merge.ts';
import { compilePipeline, type Pipeline } from '../../shared/compute/pipeline.ts';
import { measureKindsPipeline } from '../shared/support/measure-kinds-views.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { readArchiveProgress, writeArchiveProgress } from '../../batch/archive-progress.ts';
import { isWindowFinal } from '../../serving/window-finality.ts';
import { randomWorkload } from '../support/random-events.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const envs: BatchTestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

const START = Date.UTC(2026, 2, 1, 9, 0);
const ALL = { from: START - 24 * HOUR_MS, to: START + 24 * HOUR_MS };

const sortPanes = (ps: Pane[]) =>
  ps
    .map((p) => ({ view: p.view, key: p.key, start: p.start, end: p.end, bucket: p.bucket, acc: p.acc }))
    .sort((a, b) => (a.view < b.view ? -1 : a.view > b.view ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start || a.bucket - b.bucket));

async function batchPanes(reader: BatchViewReader, pipeline: Pipeline, range = ALL): Promise<Pane[]> {
  const out: Pane[] = [];
  for (const v of pipeline.views) out.push(...(await reader.panes({ view: v.name, ...range })));
  return out;
}

describe('runBatch', () => {
  // Few users over four hours: sessions run across hour boundaries, sliding windows straddle them,
  // and 10% of records are redeliveries the batch must count once.
  for (const bucketMs of [HOUR_MS, 30 * 60_000, 2 * HOUR_MS]) {
    it(`equals the reference fold pane for pane (buckets of ${bucketMs / 60_000} min)`, async () => {
      const e = await openBatchTestEnv(`conformance-${bucketMs}`);
      envs.push(e);
      const pipeline = compilePipeline(ecommerceConfig({ bucketMs }));
      const w = randomWorkload({ seed: bucketMs / 60_000, events: 2_500, start: START, spanMs: 4 * HOUR_MS - 1, users: 6, products: 4, duplicateRate: 0.1, maxDisorderMs: 60_000 });
      await appendGenerated(e, w.records);
      await archive({ ...e, pipeline }, { untilEnd: true, chunkRecords: 400 });
      await closeHoursBefore(e, START + 48 * HOUR_MS);

      const result = await runBatch({ ...e, pipeline }, { buckets: 'all' });

      expect(result.rows).toBe(w.records.length);
      expect(result.events).toBe(w.events.length);
      // The end of the bucket holding the last event (buckets align to the epoch, not to START).
      expect(result.horizon).toBe(Math.ceil((START + 4 * HOUR_MS) / bucketMs) * bucketMs);
      const actual = await batchPanes(new BatchViewReader({ ...e, pipeline }), pipeline);
      const expected = foldEvents(pipeline, w.events);
      expect(sortPanes(actual)).toEqual(sortPanes(expected));
      for (const v of pipeline.views) {
        const tagged = (ps: Pane[]) => ps.filter((p) => p.view === v.name).map((pane) => ({ pane, tag: 'x' }));
        expect(mergePanes(v, tagged(actual))).toEqual(mergePanes(v, tagged(expected)));
      }
      // The workload really exercises the seams: sessions and windows that cross bucket boundaries.
      const crossing = (name: string) => expected.filter((p) => p.view === name && Math.floor(p.start / bucketMs) !== Math.floor((p.end - 1) / bucketMs));
      expect(crossing('user_sessions').length).toBeGreaterThan(0);
      expect(crossing('revenue').length).toBeGreaterThan(0);
    });
  }

  it('equals the reference fold pane for pane with every measure kind: the SQL twins\' states, through the pane files, are the fold\'s', async () => {
    const e = await openBatchTestEnv('conformance-kinds');
    envs.push(e);
    const pipeline = measureKindsPipeline();
    const w = randomWorkload({ seed: 7, events: 2_500, start: START, spanMs: 4 * HOUR_MS - 1, users: 6, products: 4, duplicateRate: 0.1, maxDisorderMs: 60_000 });
    await appendGenerated(e, w.records);
    await archive({ ...e, pipeline }, { untilEnd: true, chunkRecords: 400 });
    await closeHoursBefore(e, START + 48 * HOUR_MS);
    await runBatch({ ...e, pipeline }, { buckets: 'all' });
    const actual = await batchPanes(new BatchViewReader({ ...e, pipeline }), pipeline);
    const expected = foldEvents(pipeline, w.events);
    expect(expected.filter((p) => p.states !== undefined).length).toBeGreaterThan(100);
    expect(sortPanes(actual)).toEqual(sortPanes(expected));
    for (const v of pipeline.views) {
      const tagged = (ps: Pane[]) => ps.filter((p) => p.view === v.name).map((pane) => ({ pane, tag: 'x' }));
      const named = (ps: Pane[]) => mergePanes(v, tagged(ps)).map((m) => v.aggregate.named(m.acc, m.states));
      expect(named(actual)).toEqual(named(expected));
    }
  });

  it('equals the fold when chunks hold part of an hourly master file (half-hour buckets, one per chunk)', async () => {
    const e = await openBatchTestEnv('split-file');
    envs.push(e);
    const pipeline = compilePipeline(ecommerceConfig({ bucketMs: 30 * 60_000 }));
    const w = randomWorkload({ seed: 23, events: 1_200, start: START, spanMs: 2 * HOUR_MS - 1, users: 5, products: 3, duplicateRate: 0.1 });
    await appendGenerated(e, w.records);
    await archive({ ...e, pipeline }, { untilEnd: true });
    await closeHoursBefore(e, START + 48 * HOUR_MS);

    // Each chunk reads a whole hourly file but computes one of its two buckets.
    const result = await runBatch({ ...e, pipeline }, { buckets: 'all', chunkLimits: { maxBytes: Number.MAX_SAFE_INTEGER, maxBuckets: 1 } });
    expect(result.buckets).toHaveLength(4);
    expect(result.rows).toBe(w.records.length);
    expect(result.events).toBe(w.events.length);
    expect(sortPanes(await batchPanes(new BatchViewReader({ ...e, pipeline }), pipeline))).toEqual(sortPanes(foldEvents(pipeline, w.events)));

    // One half-hour alone: only its events.
    const second = START + 30 * 60_000;
    await runBatch({ ...e, pipeline }, { buckets: [second] });
    const m = (await readManifest(e.objects))!;
    expect(m.buckets.find((b) => b.bucket === second)?.events).toBe(w.events.filter((x) => x.event_time >= second && x.event_time < second + 30 * 60_000).length);
  });

  it('covers a bucket without events inside the range without computing it, so a quiet hour does not stop the horizon', async () => {
    const e = await openBatchTestEnv('gap');
    envs.push(e);
    const hours = [0, 1, 3];
    for (const [i, h] of hours.entries()) {
      const w = randomWorkload({ seed: 40 + i, events: 50, start: START + h * HOUR_MS, spanMs: HOUR_MS - 1 });
      await appendGenerated(e, w.records);
    }
    await archive({ ...e }, { untilEnd: true });
    await closeHoursBefore(e, START + 48 * HOUR_MS);

    const listed = await runBatch({ ...e }, { buckets: hours.map((h) => START + h * HOUR_MS) });
    expect(listed.horizon).toBe(START + 2 * HOUR_MS);
    const all = await runBatch({ ...e }, { buckets: 'all' });
    expect(all.horizon).toBe(START + 4 * HOUR_MS);
    expect(all.buckets).toEqual(hours.map((h) => START + h * HOUR_MS));
    const m = (await readManifest(e.objects))!;
    expect(m.covered).toEqual([{ from: START, to: START + 4 * HOUR_MS }]);
    expect(m.buckets.map((b) => b.bucket)).toEqual(hours.map((h) => START + h * HOUR_MS));
  });

  it('reports progress by buckets and events per second', async () => {
    const e = await openBatchTestEnv('progress');
    envs.push(e);
    await appendGenerated(e, randomWorkload({ seed: 5, events: 300, start: START, spanMs: 3 * HOUR_MS }).records);
    await archive({ ...e }, { untilEnd: true });
    await closeHoursBefore(e, START + 48 * HOUR_MS);
    const seen: Array<{ bucketsDone: number; bucketsTotal: number; rowsPerSecond: number }> = [];
    await runBatch({ ...e, onProgress: (p) => seen.push(p) }, { chunkLimits: { maxBytes: Number.MAX_SAFE_INTEGER, maxBuckets: 1 } });
    expect(seen.map((p) => `${p.bucketsDone}/${p.bucketsTotal}`)).toEqual(['1/3', '2/3', '3/3']);
    expect(seen[2].rowsPerSecond).toBeGreaterThan(0);
  });

  it('a one-off run does not publish the hour the log is still in (events in the current hour)', async () => {
    const e = await openBatchTestEnv('current-hour');
    envs.push(e);
    // Events up to half past the third hour, appended as they happen: "now" is START + 2 h 30 min.
    const w = randomWorkload({ seed: 61, events: 400, start: START, spanMs: 2 * HOUR_MS + 30 * 60_000 });
    await appendGenerated(e, w.records);
    await archive({ ...e }, { untilEnd: true });
    const result = await runBatch({ ...e }, { buckets: 'all' });
    expect(result.buckets).toEqual([START, START + HOUR_MS]);
    expect(result.incomplete).toEqual([START + 2 * HOUR_MS]);
    expect(result.horizon).toBe(START + 2 * HOUR_MS);
    const m = (await readManifest(e.objects))!;
    expect(m.buckets.map((b) => b.bucket)).toEqual([START, START + HOUR_MS]);
    // --from/--to naming the current hour does not publish it either.
    const ranged = await runBatch({ ...e }, { buckets: { from: START + 2 * HOUR_MS, to: START + 3 * HOUR_MS } });
    expect(ranged).toMatchObject({ buckets: [], published: false, horizon: START + 2 * HOUR_MS });
  });

  it('publishes an hour once the log\'s watermark (min over partitions) is at or past its end plus the straggler delay', async () => {
    const e = await openBatchTestEnv('straggler-delay');
    envs.push(e);
    await appendGenerated(e, randomWorkload({ seed: 62, events: 300, start: START, spanMs: HOUR_MS - 1 }).records);
    await archive({ ...e }, { untilEnd: true });
    const { maxOutOfOrdernessMs } = e.pipeline.config.lateness;
    const delay = 10 * 60_000;
    // Watermark = progress - maxOutOfOrderness; one partition behind holds the hour back.
    const setWatermarks = async (lowest: number) => {
      const progress = await readArchiveProgress(e.objects);
      expect(progress.size).toBeGreaterThan(1);
      let i = 0;
      for (const [p, a] of progress) progress.set(p, { ...a, watermarkProgress: lowest + maxOutOfOrdernessMs + (i++ === 0 ? 0 : HOUR_MS) });
      await writeArchiveProgress(e.objects, progress);
    };
    await setWatermarks(START + HOUR_MS + delay - 1);
    expect(await runBatch({ ...e }, { stragglerDelayMs: delay })).toMatchObject({ buckets: [], published: false, incomplete: [START] });
    await setWatermarks(START + HOUR_MS + delay);
    expect(await runBatch({ ...e }, { stragglerDelayMs: delay })).toMatchObject({ buckets: [START], published: true, horizon: START + HOUR_MS });
  });

  it('with includeIncomplete publishes the incomplete hour marked incomplete, above the horizon, never final', async () => {
    const e = await openBatchTestEnv('include-incomplete');
    envs.push(e);
    const w = randomWorkload({ seed: 63, events: 400, start: START, spanMs: HOUR_MS + 30 * 60_000 });
    await appendGenerated(e, w.records);
    await archive({ ...e }, { untilEnd: true });
    const result = await runBatch({ ...e }, { includeIncomplete: true });
    expect(result.buckets).toEqual([START, START + HOUR_MS]);
    expect(result.incomplete).toEqual([START + HOUR_MS]);
    expect(result.horizon).toBe(START + HOUR_MS);
    const m = (await readManifest(e.objects))!;
    expect(m.buckets.map((b) => [b.bucket, b.incomplete ?? false])).toEqual([
      [START, false],
      [START + HOUR_MS, true],
    ]);
    // Its pane files are published, but serving, which finalises by the horizon, never calls its windows final.
    expect(m.buckets[1].events).toBe(w.events.filter((x) => x.event_time >= START + HOUR_MS).length);
    const reader = new BatchViewReader({ ...e });
    expect(await reader.horizon()).toBe(START + HOUR_MS);
    for (const mode of ['batch', 'lambda'] as const) expect(isWindowFinal(mode, START + HOUR_MS + 60_000, await reader.horizon(), Number.NEGATIVE_INFINITY)).toBe(false);
    // Once complete, a default run recomputes it and the horizon moves past it.
    await closeHoursBefore(e, START + 2 * HOUR_MS);
    const later = await runBatch({ ...e });
    expect(later).toMatchObject({ buckets: [START, START + HOUR_MS], incomplete: [], horizon: START + 2 * HOUR_MS });
    expect((await readManifest(e.objects))!.buckets.some((b) => b.incomplete)).toBe(false);
  });

  it('computes nothing and publishes nothing without master data', async () => {
    const e = await openBatchTestEnv('empty');
    envs.push(e);
    const result = await runBatch({ ...e });
    expect(result).toMatchObject({ published: false, buckets: [], horizon: null });
    expect(await readManifest(e.objects)).toBeUndefined();
  });
});
