import { afterEach, describe, expect, it } from 'vitest';
import { archive } from '../../batch/archiver.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { BatchViewIndex } from '../../batch/batch-view-index.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import { definitionTruth } from '../../compare/definition-truth.ts';
import type { TruthWindow } from '../../compare/ground-truth.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { LogRecord } from '../../shared/ports/event-log.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { QueryService } from '../../serving/query-service.ts';
import type { ServingMode } from '../../serving/serving-mode.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { randomWorkload } from '../support/random-events.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from '../batch/batch-test-env.ts';

const envs: BatchTestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

const START = Date.UTC(2026, 2, 1, 9, 0);
const pipeline = compilePipeline(
  ecommerceConfig({
    alerts: [
      { name: 'busy_product', view: 'product_activity', when: 'views + carts >= 4' },
      { name: 'big_revenue', view: 'revenue', when: 'revenue_cents > 60000' },
    ],
  }),
);
const UNBOUNDED = { maxRangeMs: Infinity, maxWindows: Infinity, maxPanes: Infinity };

async function readAll(e: BatchTestEnv): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const sub = await e.log.consume({ topic: e.topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) });
  await sub.done;
  return out;
}

describe('alerts end to end (embedded log, batch layer on DuckDB, stream job)', () => {
  it('are the same from the stream, the batch layer, Lambda and the truth, over the windows each has final', async () => {
    const e = await openBatchTestEnv('alerts');
    envs.push(e);
    await appendGenerated(e, randomWorkload({ seed: 5, events: 2_000, start: START, spanMs: 3 * HOUR_MS - 1, users: 8, duplicateRate: 0.05 }).records);
    // Batch: the master dataset of all three hours, published.
    await archive({ ...e, pipeline }, { untilEnd: true });
    await closeHoursBefore(e, START + 48 * HOUR_MS);
    await runBatch({ ...e, pipeline });
    // Stream: the speed layer over the same log.
    const store = new InMemoryViewStore();
    const topics = { events: e.topic, deadLetter: `${e.topic}.dead-letter`, late: `${e.topic}.late` };
    await (await new StreamJob({ log: e.log, views: store, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true }).start()).done;
    const batch = new BatchViewIndex(new BatchViewReader({ objects: e.objects, db: e.db, pipeline }));
    const service = new QueryService({ pipeline, viewStore: store, batch });

    // The truth's windows, from the records by brute force; the rule applied to them (the rule is the definition).
    const oracle = await definitionTruth(pipeline);
    await oracle.load(await readAll(e));
    const truth = await oracle.finish();
    const truthAlerts = (finalBy: number) =>
      pipeline.alerts
        .flatMap((rule) => (truth.views[rule.view] as TruthWindow[]).filter((w) => w.end <= finalBy && rule.test(w.values)).map((w) => JSON.stringify([rule.name, rule.view, w.key, w.start])))
        .sort();

    const served = async (mode: ServingMode) => service.finalAlerts({ from: START - HOUR_MS, to: START + 4 * HOUR_MS, mode }, UNBOUNDED);
    const speed = await served('speed');
    const batchAnswer = await served('batch');
    const lambda = await served('lambda');
    const ids = (a: { alerts: readonly { id: string }[] }) => a.alerts.map((x) => x.id).sort();
    expect(batchAnswer.horizon).toBe(START + 3 * HOUR_MS);
    expect(speed.finalBefore).not.toBeNull();
    // Both rules fire, and both layers see alerts.
    expect(new Set(speed.alerts.map((a) => a.rule))).toEqual(new Set(['busy_product', 'big_revenue']));
    expect(ids(speed)).toEqual(truthAlerts(speed.finalBefore!));
    expect(ids(batchAnswer)).toEqual(truthAlerts(batchAnswer.horizon!));
    expect(ids(lambda)).toEqual(truthAlerts(Math.max(batchAnswer.horizon!, speed.finalBefore!)));
    // Where both layers are final, they agree alert for alert, measures included.
    const bothFinal = (a: { end: number }) => a.end <= Math.min(batchAnswer.horizon!, speed.finalBefore!);
    expect(batchAnswer.alerts.filter(bothFinal)).toEqual(speed.alerts.filter(bothFinal));
  });
});
