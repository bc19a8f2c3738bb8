import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archive } from '../../batch/archiver.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { MANIFEST_KEY } from '../../batch/batch-manifest.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import type { Pane } from '../../shared/compute/pane.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { LkError, NotFoundError } from '../../shared/errors.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { randomWorkload } from '../support/random-events.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';

const START = Date.UTC(2026, 2, 1, 9, 0);
let e: BatchTestEnv;
let reader: BatchViewReader;
let expected: Pane[];

beforeAll(async () => {
  e = await openBatchTestEnv('reader');
  const w = randomWorkload({ seed: 21, events: 1_500, start: START, spanMs: 4 * HOUR_MS - 1, users: 6, products: 4, duplicateRate: 0.05 });
  await appendGenerated(e, w.records);
  await archive({ ...e }, { untilEnd: true });
  await closeHoursBefore(e, START + 48 * HOUR_MS);
  await runBatch({ ...e });
  reader = new BatchViewReader({ ...e });
  expected = foldEvents(e.pipeline, w.events);
});

afterAll(async () => {
  await e.close();
});

const key = (p: Pane) => `${p.view}|${p.key}|${p.start}|${p.bucket}`;
const ids = (ps: Pane[]) => ps.map(key).sort();

describe('BatchViewReader', () => {
  it('returns the panes of one view whose windows overlap [from, to)', async () => {
    const from = START + 90 * 60_000 + 30_000;
    const to = START + 100 * 60_000;
    for (const view of ['product_activity', 'revenue', 'user_sessions']) {
      const got = await reader.panes({ view, from, to });
      const want = expected.filter((p) => p.view === view && p.end > from && p.start < to);
      expect(want.length).toBeGreaterThan(0);
      expect(ids(got)).toEqual(ids(want));
    }
  });

  it('filters by key', async () => {
    const got = await reader.panes({ view: 'user_sessions', key: 'u3', from: START, to: START + 4 * HOUR_MS });
    const want = expected.filter((p) => p.view === 'user_sessions' && p.key === 'u3');
    expect(want.length).toBeGreaterThan(0);
    expect(ids(got)).toEqual(ids(want));
    expect(got.every((p) => p.key === 'u3')).toBe(true);
  });

  it('returns at most maxRows panes, the first by key, start, bucket', async () => {
    const all = await reader.panes({ view: 'revenue', from: START, to: START + 4 * HOUR_MS });
    expect(all.length).toBeGreaterThan(5);
    expect(await reader.panes({ view: 'revenue', from: START, to: START + 4 * HOUR_MS, maxRows: 5 })).toEqual(all.slice(0, 5));
  });

  it('returns only buckets below maxBucket', async () => {
    const maxBucket = START + 2 * HOUR_MS;
    const got = await reader.panes({ view: 'revenue', from: START, to: START + 4 * HOUR_MS, maxBucket });
    const want = expected.filter((p) => p.view === 'revenue' && p.bucket < maxBucket);
    expect(ids(got)).toEqual(ids(want));
    expect(got.some((p) => p.end > maxBucket)).toBe(true); // windows crossing the bound keep their earlier half
  });

  it('reports the horizon and refuses an unknown view', async () => {
    expect(await reader.horizon()).toBe(START + 4 * HOUR_MS);
    await expect(reader.panes({ view: 'nope', from: START, to: START + HOUR_MS })).rejects.toThrow(NotFoundError);
  });

  it('reads nothing before the first publish', async () => {
    const fresh = await openBatchTestEnv('reader-empty');
    try {
      const r = new BatchViewReader({ ...fresh });
      expect(await r.horizon()).toBeNull();
      expect(await r.panes({ view: 'revenue', from: START, to: START + HOUR_MS })).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('says how to recover from a damaged manifest', async () => {
    const fresh = await openBatchTestEnv('reader-damaged');
    try {
      await fresh.objects.putText(MANIFEST_KEY, '{"version":1,');
      const r = new BatchViewReader({ ...fresh });
      await expect(r.horizon()).rejects.toThrow(LkError);
      await expect(r.horizon()).rejects.toThrow(/run the batch job again/);
    } finally {
      await fresh.close();
    }
  });
});
