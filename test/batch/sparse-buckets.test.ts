import { afterEach, describe, expect, it } from 'vitest';
import { archive } from '../../batch/archiver.ts';
import { runHourlyCycle } from '../../batch/batch-cycle.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { readManifest } from '../../batch/batch-manifest.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import { compareView } from '../../compare/compare-views.ts';
import { groundTruthFromLog } from '../../compare/ground-truth.ts';
import { QueryService } from '../../serving/query-service.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { randomWorkload } from '../support/random-events.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';

const envs: BatchTestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

const START = Date.UTC(2026, 2, 1, 9, 0);
/** The earliest event time validation accepts: 26 years of empty hours before the current data. */
const Y2000 = Date.UTC(2000, 0, 1, 0, 30);

/** An env whose master dataset holds three current hours and one valid event dated 2000-01-01. */
async function envWithOldEvent(name: string): Promise<BatchTestEnv> {
  const e = await openBatchTestEnv(name);
  envs.push(e);
  await appendGenerated(e, randomWorkload({ seed: 17, events: 400, start: START, spanMs: 3 * HOUR_MS - 1 }).records);
  const old = { event_id: 'old-1', event_type: 'purchase', user_id: 'u1', product_id: 'p1', price: 12.5, quantity: 2, event_time: new Date(Y2000).toISOString() };
  await e.log.append(e.topic, [{ key: 'u1', value: JSON.stringify(old), timestamp: START + 3 * HOUR_MS }]);
  await archive({ ...e }, { untilEnd: true });
  // The log's watermark has passed the three current hours (plus the straggler delay): all complete.
  await closeHoursBefore(e, START + 3 * HOUR_MS);
  return e;
}

describe('a master dataset with one event dated 2000-01-01 among current data', () => {
  it('publishes, computing only the buckets with data, and Lambda equals the truth in both eras', async () => {
    const e = await envWithOldEvent('y2000');
    const result = await runBatch({ ...e }, { buckets: 'all' });
    expect(result.published).toBe(true);
    expect(result.buckets).toEqual([Date.UTC(2000, 0, 1), START, START + HOUR_MS, START + 2 * HOUR_MS]);
    expect(result.horizon).toBe(START + 3 * HOUR_MS);
    const manifest = (await readManifest(e.objects))!;
    expect(manifest.covered).toEqual([{ from: Date.UTC(2000, 0, 1), to: START + 3 * HOUR_MS }]);
    expect(manifest.buckets).toHaveLength(4);

    // The speed layer too, as Lambda runs: the old event is too late for it, the batch has it.
    const views = new InMemoryViewStore();
    const topics = { events: e.topic, deadLetter: `${e.topic}.dead`, late: `${e.topic}.late` };
    await (await new StreamJob({ log: e.log, views, pipeline: e.pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true }).start()).done;
    const service = new QueryService({ pipeline: e.pipeline, viewStore: views, batch: new BatchViewReader({ objects: e.objects, db: e.db, pipeline: e.pipeline }) });

    const truth = await groundTruthFromLog(e.pipeline, e.log, e.topic);
    for (const view of e.pipeline.views) {
      const merged = await service.mergedWindows({ view: view.name, mode: 'lambda', from: Date.UTC(1999, 11, 31), to: START + 4 * HOUR_MS });
      const c = compareView(view, merged.windows, truth.views[view.name]);
      expect(c, view.name).toMatchObject({ missing: 0, extra: 0 });
      expect(c.exact, view.name).toBe(c.windows);
    }

    // Serving answers a query in each era.
    const old = await service.query({ view: 'revenue', mode: 'lambda', from: Y2000 - HOUR_MS, to: Y2000 + HOUR_MS });
    expect(old.windows.length).toBeGreaterThan(0);
    expect(old.windows.every((w) => (w.value as { orders: number }).orders === 1)).toBe(true);
    const now = await service.query({ view: 'revenue', mode: 'lambda', from: START, to: START + HOUR_MS });
    expect(now.windows.length).toBeGreaterThan(0);
  });

  it('the hourly cycle covers the quiet years without computing them, and finds nothing to do next time', async () => {
    const e = await envWithOldEvent('y2000-hourly');
    const deps = { ...e, clock: () => START + 3 * HOUR_MS + 60_000 };
    const first = await runHourlyCycle(deps);
    expect(first.batch?.buckets).toEqual([Date.UTC(2000, 0, 1), START, START + HOUR_MS, START + 2 * HOUR_MS]);
    expect(first.batch?.horizon).toBe(START + 3 * HOUR_MS);
    expect((await runHourlyCycle(deps)).batch).toBeNull();
  });
});
