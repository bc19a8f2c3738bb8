import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archive } from '../../batch/archiver.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { MANIFEST_KEY, readManifest } from '../../batch/batch-manifest.ts';
import { BatchViewIndex } from '../../batch/batch-view-index.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import { NotFoundError } from '../../shared/errors.ts';
import type { ObjectStore } from '../../shared/ports/object-store.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { Random } from '../../workload/random.ts';
import { randomWorkload } from '../support/random-events.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';

const START = Date.UTC(2026, 2, 1, 9, 0);
const VIEWS = ['product_activity', 'revenue', 'user_sessions'];
let e: BatchTestEnv;

/** The env's object store, counting the calls that read published files (localPath) and the manifest (getText). */
function counting(objects: ObjectStore) {
  const calls = { localPath: 0, getText: 0 };
  const store = new Proxy(objects, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop === 'localPath' || prop === 'getText') calls[prop]++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

/** Random queries over the published range: every view, with and without a key, some bounded. */
function randomQueries(seed: number, n: number) {
  const rng = new Random(seed);
  const rnd = () => rng.next();
  const out = [];
  for (let i = 0; i < n; i++) {
    const view = VIEWS[i % VIEWS.length];
    const from = START - HOUR_MS + Math.floor(rnd() * 6 * HOUR_MS);
    const to = from + 1 + Math.floor(rnd() * 3 * HOUR_MS);
    const key = view === 'revenue' || rnd() < 0.3 ? undefined : view === 'product_activity' ? `p${Math.floor(rnd() * 5)}` : `u${Math.floor(rnd() * 7)}`;
    const maxBucket = rnd() < 0.3 ? START + Math.floor(rnd() * 5) * HOUR_MS : undefined;
    const maxRows = rnd() < 0.2 ? 1 + Math.floor(rnd() * 20) : undefined;
    const afterKey = rnd() < 0.3 ? (view === 'product_activity' ? `p${Math.floor(rnd() * 5)}` : view === 'revenue' ? '*' : `u${Math.floor(rnd() * 7)}`) : undefined;
    const ordered = afterKey === undefined ? undefined : { after: { key: afterKey, start: from + Math.floor(rnd() * HOUR_MS) } };
    out.push({ view, from, to, key, maxBucket, maxRows, ordered });
  }
  return out;
}

beforeAll(async () => {
  e = await openBatchTestEnv('index');
  await appendGenerated(e, randomWorkload({ seed: 31, events: 1_500, start: START, spanMs: 4 * HOUR_MS - 1, users: 6, products: 4, duplicateRate: 0.05 }).records);
  await archive({ ...e }, { untilEnd: true });
  await closeHoursBefore(e, START + 48 * HOUR_MS);
  await runBatch({ ...e });
});

afterAll(async () => {
  await e.close();
});

describe('BatchViewIndex', () => {
  it('answers every query as the Parquet reader does, without reading a file or the manifest per query', async () => {
    const { store, calls } = counting(e.objects);
    const reader = new BatchViewReader({ ...e });
    const index = new BatchViewIndex(new BatchViewReader({ ...e, objects: store }));
    const snapshot = await index.snapshot();
    const manifest = (await readManifest(e.objects))!;
    expect(snapshot).toMatchObject({ runId: manifest.runId, horizon: manifest.horizon });
    const loaded = { ...calls };
    expect(loaded.getText).toBe(1);
    expect(loaded.localPath).toBeGreaterThan(0);

    for (const q of randomQueries(5, 300)) {
      const fromIndex = await (await index.snapshot()).panes(q);
      expect(fromIndex, JSON.stringify(q)).toEqual(await reader.panes(q, manifest));
    }
    // 300 queries, no read of the object store at all.
    expect(calls).toEqual(loaded);
    await expect(snapshot.panes({ view: 'nope', from: START, to: START + HOUR_MS })).rejects.toThrow(NotFoundError);
  });

  it('serves a new publish after the poll finds it, reading only the buckets whose files changed; a snapshot taken before keeps the old run whole', async () => {
    const { store, calls } = counting(e.objects);
    const index = new BatchViewIndex(new BatchViewReader({ ...e, objects: store }));
    const before = await index.snapshot();
    const q = { view: 'revenue', from: START, to: START + 4 * HOUR_MS };
    const oldPanes = await before.panes(q);
    expect(await index.refresh()).toBe(false);

    // Late data for the second hour only: the hourly cycle recomputes that bucket, and a new run publishes.
    await appendGenerated(e, randomWorkload({ seed: 32, events: 200, start: START + HOUR_MS, spanMs: HOUR_MS - 1, users: 6, products: 4, duplicateRate: 0 }).records);
    await archive({ ...e }, { untilEnd: true });
    await closeHoursBefore(e, START + 48 * HOUR_MS);
    const run = await runBatch({ ...e }, { buckets: [START + HOUR_MS] });
    const manifest = (await readManifest(e.objects))!;
    expect(manifest.runId).toBe(run.runId);
    const changedFiles = manifest.buckets.filter((b) => b.runId === run.runId).flatMap((b) => Object.values(b.files).flat());
    expect(changedFiles.length).toBeGreaterThan(0);

    // Not seen until the manifest is read again (the poll), then swapped in whole.
    expect((await index.snapshot()).runId).toBe(before.runId);
    const reads = calls.localPath;
    expect(await index.refresh()).toBe(true);
    expect(calls.localPath - reads).toBe(changedFiles.length);
    const after = await index.snapshot();
    expect(after).toMatchObject({ runId: run.runId, horizon: manifest.horizon });
    const reader = new BatchViewReader({ ...e });
    for (const query of randomQueries(9, 150)) expect(await after.panes(query), JSON.stringify(query)).toEqual(await reader.panes(query, manifest));
    expect(await after.panes(q)).not.toEqual(oldPanes);
    // The snapshot a query took before the publish still answers from the old run alone.
    expect(await before.panes(q)).toEqual(oldPanes);
  });

  it('refuses queries while the manifest is damaged and says so for readiness, then loads it once republished', async () => {
    const broken = await openBatchTestEnv('index-broken');
    try {
      await broken.objects.putText(MANIFEST_KEY, '{not json');
      const index = new BatchViewIndex(new BatchViewReader({ ...broken }));
      await expect(index.snapshot()).rejects.toThrow(/damaged/);
      expect(index.problem()).toMatch(/could not be loaded.*damaged/);
      await broken.objects.delete([MANIFEST_KEY]);
      expect(await index.snapshot()).toMatchObject({ runId: null, horizon: null });
      expect(index.problem()).toBeUndefined();
    } finally {
      await broken.close();
    }
  });

  it('polls the manifest on its own once started, and serves nothing before the first publish', async () => {
    const empty = await openBatchTestEnv('index-empty');
    try {
      const index = new BatchViewIndex(new BatchViewReader({ ...empty }), { pollMs: 10 });
      expect(index.problem()).toMatch(/not loaded/);
      expect(await index.snapshot()).toMatchObject({ runId: null, horizon: null });
      expect(await (await index.snapshot()).panes({ view: 'revenue', from: START, to: START + HOUR_MS })).toEqual([]);
      index.start();
      try {
        await appendGenerated(empty, randomWorkload({ seed: 33, events: 100, start: START, spanMs: HOUR_MS - 1, users: 3, products: 2, duplicateRate: 0 }).records);
        await archive({ ...empty }, { untilEnd: true });
        await closeHoursBefore(empty, START + 48 * HOUR_MS);
        const run = await runBatch({ ...empty });
        for (let i = 0; i < 500 && (await index.snapshot()).runId !== run.runId; i++) await new Promise((r) => setTimeout(r, 10));
        expect(await index.snapshot()).toMatchObject({ runId: run.runId, horizon: START + HOUR_MS });
        expect(index.problem()).toBeUndefined();
        // A poll that stopped long ago means the latest publish may be unseen.
        expect(index.problem(Date.now() + 60_000)).toMatch(/last read/);
      } finally {
        index.close();
      }
    } finally {
      await empty.close();
    }
  });
});
