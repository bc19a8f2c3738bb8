import { afterEach, describe, expect, it } from 'vitest';
import { archive } from '../../batch/archiver.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { MANIFEST_KEY, readManifest, type BatchManifest } from '../../batch/batch-manifest.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import { RUNS_PREFIX, runIdOfKey } from '../../batch/pane-file.ts';
import type { Pane } from '../../shared/compute/pane.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { ForwardingObjectStore } from '../support/forwarding-object-store.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { randomWorkload } from '../support/random-events.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';
import { DEFAULT_VIEW_OPTIONS } from '../../examples/ecommerce/pipeline.ts';
import { ecommerceConfig, ecommerceViews } from '../support/ecommerce.ts';

const envs: BatchTestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

const START = Date.UTC(2026, 2, 1, 9, 0);
const RANGE = { from: START - HOUR_MS, to: START + 6 * HOUR_MS };

/** An env whose master dataset holds three hours of events. */
async function archivedEnv(name: string): Promise<BatchTestEnv> {
  const e = await openBatchTestEnv(name);
  envs.push(e);
  await appendGenerated(e, randomWorkload({ seed: 7, events: 600, start: START, spanMs: 3 * HOUR_MS - 1, users: 5, duplicateRate: 0.05 }).records);
  await archive({ ...e }, { untilEnd: true });
  await closeHoursBefore(e, START + 48 * HOUR_MS);
  return e;
}

/** An object store that records every write and lets a test act just before one happens. */
class WatchedStore extends ForwardingObjectStore {
  readonly writes: string[] = [];
  beforeWrite: ((key: string) => Promise<void>) | undefined;

  override async putFile(key: string, localFile: string): Promise<void> {
    await this.beforeWrite?.(key);
    this.writes.push(key);
    await this.inner.putFile(key, localFile);
  }

  override async putText(key: string, text: string): Promise<void> {
    await this.beforeWrite?.(key);
    this.writes.push(key);
    await this.inner.putText(key, text);
  }
}

async function allPanes(reader: BatchViewReader, manifest?: BatchManifest): Promise<Pane[]> {
  const out: Pane[] = [];
  for (const view of ['product_activity', 'revenue', 'user_sessions']) out.push(...(await reader.panes({ view, ...RANGE }, manifest)));
  return out;
}

describe('publishing', () => {
  it('writes the manifest last, after every file it names', async () => {
    const e = await archivedEnv('order');
    const store = new WatchedStore(e.objects);
    await runBatch({ ...e, objects: store });
    expect(store.writes[store.writes.length - 1]).toBe(MANIFEST_KEY);
    expect(store.writes.filter((k) => k === MANIFEST_KEY)).toHaveLength(1);
    const m = (await readManifest(e.objects))!;
    const named = m.buckets.flatMap((b) => Object.values(b.files).flat());
    expect(named.length).toBeGreaterThan(0);
    for (const key of named) expect(store.writes.indexOf(key)).toBeGreaterThanOrEqual(0);
  });

  it('a reader during a run sees the previous publish, whole', async () => {
    const e = await archivedEnv('isolation');
    const first = await runBatch({ ...e });
    const reader = new BatchViewReader({ ...e });
    const published = await allPanes(reader);
    expect(published.length).toBeGreaterThan(0);

    const store = new WatchedStore(e.objects);
    const seen: Array<{ runId: string | undefined; panes: Pane[] }> = [];
    store.beforeWrite = async (key) => {
      if (key === MANIFEST_KEY) return;
      seen.push({ runId: (await reader.manifest())?.runId, panes: await allPanes(reader) });
    };
    const second = await runBatch({ ...e, objects: store });

    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.runId).toBe(first.runId);
      expect(s.panes).toEqual(published);
    }
    expect((await reader.manifest())!.runId).toBe(second.runId);
    // Same master data, so the new run publishes the same panes.
    expect(await allPanes(reader)).toEqual(published);
  });

  it('recomputing one bucket replaces only that bucket', async () => {
    const e = await archivedEnv('replace');
    const first = await runBatch({ ...e });
    const second = await runBatch({ ...e }, { buckets: [START + HOUR_MS] });
    const m = (await readManifest(e.objects))!;
    expect(m.buckets.map((b) => [b.bucket, b.runId])).toEqual([
      [START, first.runId],
      [START + HOUR_MS, second.runId],
      [START + 2 * HOUR_MS, first.runId],
    ]);
    expect(m.horizon).toBe(START + 3 * HOUR_MS);
    expect(m.history).toEqual([first.runId, second.runId]);
  });

  it('deletes runs no manifest can need any more, keeping the last two', async () => {
    const e = await archivedEnv('prune');
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) runs.push((await runBatch({ ...e })).runId);
    const stored = new Set((await e.objects.list(RUNS_PREFIX)).map((o) => runIdOfKey(o.key)));
    expect([...stored].sort()).toEqual(runs.slice(2).sort());
    // Everything the manifest names is still there.
    const reader = new BatchViewReader({ ...e });
    expect((await allPanes(reader)).length).toBeGreaterThan(0);
  });

  it('keeps a run the current manifest still names for older buckets', async () => {
    const e = await archivedEnv('prune-referenced');
    const full = await runBatch({ ...e });
    for (let i = 0; i < 3; i++) await runBatch({ ...e }, { buckets: [START + 2 * HOUR_MS] });
    const stored = new Set((await e.objects.list(RUNS_PREFIX)).map((o) => runIdOfKey(o.key)));
    expect(stored.has(full.runId)).toBe(true);
    expect(stored.size).toBe(3);
  });

  it('drops buckets computed with another definition of the views', async () => {
    const e = await archivedEnv('redefine');
    await runBatch({ ...e });
    const longerSessions = compilePipeline(ecommerceConfig({ views: ecommerceViews({ ...DEFAULT_VIEW_OPTIONS, sessionGapMs: 45 * 60_000 }) }));
    const stale = new BatchViewReader({ ...e, pipeline: longerSessions });
    await expect(stale.panes({ view: 'user_sessions', ...RANGE })).rejects.toThrow(NotFoundError);

    await runBatch({ ...e, pipeline: longerSessions }, { buckets: [START] });
    const m = (await readManifest(e.objects))!;
    expect(m.buckets.map((b) => b.bucket)).toEqual([START]);
    expect(m.horizon).toBe(START + HOUR_MS);
    expect((await stale.panes({ view: 'user_sessions', ...RANGE })).length).toBeGreaterThan(0);
  });
});
