import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { LocalObjectStore } from '../../infra/embedded/local-object-store.ts';
import { mergePanes } from '../../shared/compute/pane-merge.ts';
import { compilePipeline, type Pipeline } from '../../shared/compute/pipeline.ts';
import type { ViewDef } from '../../shared/compute/view-def.ts';
import type { TopicNames } from '../../shared/config.ts';
import { ChangedViewError, SavepointError } from '../../shared/errors.ts';
import type { ViewStore } from '../../shared/ports/view-store.ts';
import { restoreSavepoint } from '../../speed/savepoint-restore.ts';
import { StreamJob, type StreamStart } from '../../speed/stream-job.ts';
import { takeSavepoint } from '../../speed/take-savepoint.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { ecommerceConfig, ecommerceViews } from './ecommerce.ts';
import { InMemoryViewStore } from './in-memory-view-store.ts';
import { waitFor } from './wait-for.ts';
import type { ViewStoreFixture } from './contracts/view-store-contract.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function openLog(): Promise<EmbeddedLog> {
  const log = await EmbeddedLog.open(await tempDir());
  closers.push(() => log.close());
  await log.ensureTopic(topics.events, 3);
  return log;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-savepoint-'));
  dirs.push(dir);
  return dir;
}

const v1 = compilePipeline(ecommerceConfig());
const [productActivity, revenue] = ecommerceViews() as [ViewDef, ViewDef, ViewDef];
/** The pipeline changed: revenue's window is longer, user_sessions is gone, a view keyed by user is new. */
const changedViews: ViewDef[] = [
  productActivity,
  { ...revenue, window: { kind: 'sliding', sizeMs: 20 * 60_000, slideMs: 60_000 } },
  { name: 'user_purchases', description: 'purchases per user, tumbling 5 min', key: 'user_id', filter: "event_type = 'purchase'", window: { kind: 'tumbling', sizeMs: 5 * 60_000 }, measures: [{ name: 'orders', op: 'count' }], present: (m) => m },
];
const v2 = compilePipeline(ecommerceConfig({ views: changedViews }));
const workload = generateWorkload({ seed: 11, events: 5_000, users: 120, products: 30, spanMs: 80 * 60_000 }, v1.config);
const half = Math.floor(workload.records.length / 2);

async function append(log: EmbeddedLog, from: number, to: number): Promise<void> {
  await log.append(topics.events, workload.records.slice(from, to).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
}

async function runToEnd(log: EmbeddedLog, views: ViewStore, pipeline: Pipeline, namespace: string, from: StreamStart = { kind: 'earliest' }): Promise<void> {
  const job = new StreamJob({ log, views, pipeline, topics }, { namespace, from, stopAtEnd: true, maxBatchRecords: 400, sideOutputs: false });
  await (await job.start()).done;
}

/** A namespace's windows per view of `pipeline`, merged across partitions and buckets. */
async function windowsOf(store: ViewStore, namespace: string, pipeline: Pipeline) {
  const out: Record<string, unknown> = {};
  for (const v of pipeline.views) {
    const panes = await store.queryPanes(namespace, { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
    out[v.name] = mergePanes(v, panes.map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
  }
  return out;
}

/**
 * The savepoint scenarios, run against a view store (test/speed/savepoint.test.ts: in memory and
 * DuckDB; test/integration/speed/savepoint-postgres.test.ts: PostgreSQL). The reference for every
 * restored run is an uninterrupted run of the same pipeline over the same log, in the same store.
 */
export function describeSavepointScenarios(name: string, factory: () => Promise<ViewStoreFixture>): void {
  describe(`savepoints (${name} view store)`, () => {
    async function openStore(): Promise<ViewStore> {
      const fx = await factory();
      closers.push(() => fx.cleanup());
      return fx.store;
    }

    /** Half the log run into "speed" by v1, a savepoint of it taken, then the other half appended. */
    async function savedHalfway() {
      const log = await openLog();
      const views = await openStore();
      const objects = new LocalObjectStore(await tempDir());
      await append(log, 0, half);
      await runToEnd(log, views, v1, 'speed');
      const saved = await takeSavepoint({ views, objects, pipeline: v1 }, { namespace: 'speed', topic: topics.events, partitionCount: 3, pipelineName: 'ecommerce' });
      await append(log, half, workload.records.length);
      return { log, views, objects, saved };
    }

    it('a job started from a savepoint in a fresh namespace ends with the views of an uninterrupted run', async () => {
      const { log, views, objects, saved } = await savedHalfway();
      expect(saved.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
      expect(Object.values(saved.views).every((v) => v.panes > 0)).toBe(true);
      const r = await restoreSavepoint({ views, objects, log, pipeline: v1, topics }, saved.id, { namespace: 'restored' });
      expect(r).toMatchObject({ resumed: ['product_activity', 'revenue', 'user_sessions'], added: [], rebuilt: [], dropped: [] });
      await runToEnd(log, views, v1, 'restored');
      await runToEnd(log, views, v1, 'uninterrupted');
      expect(await windowsOf(views, 'restored', v1)).toEqual(await windowsOf(views, 'uninterrupted', v1));
      // The restored job read only the second half: its checkpoints equal the uninterrupted run's, counts included.
      expect(await views.checkpoints('restored')).toEqual(await views.checkpoints('uninterrupted'));
    });

    it('is portable: a savepoint of this store starts a namespace in another store with the views of an uninterrupted run', async () => {
      const { log, objects, saved } = await savedHalfway();
      const other = new InMemoryViewStore();
      await restoreSavepoint({ views: other, objects, log, pipeline: v1, topics }, saved.id, { namespace: 'speed' });
      await runToEnd(log, other, v1, 'speed');
      await runToEnd(log, other, v1, 'uninterrupted');
      expect(await windowsOf(other, 'speed', v1)).toEqual(await windowsOf(other, 'uninterrupted', v1));
    });

    it('a savepoint taken while the job consumes and commits resumes to the views of an uninterrupted run', async () => {
      const log = await openLog();
      const views = await openStore();
      const objects = new LocalObjectStore(await tempDir());
      await append(log, 0, half);
      const job = new StreamJob({ log, views, pipeline: v1, topics }, { namespace: 'speed', groupId: 'live', from: { kind: 'earliest' }, maxBatchRecords: 100, commitIntervalMs: 1, sideOutputs: false });
      const sub = await job.start();
      try {
        await waitFor(async () => (await views.listNamespaces()).includes('speed') && (await views.checkpoints('speed')).size === 3);
        // The job keeps reading both halves while the savepoint is taken.
        const appending = append(log, half, workload.records.length);
        const saved = await takeSavepoint({ views, objects, pipeline: v1 }, { namespace: 'speed', topic: topics.events, partitionCount: 3, pipelineName: 'ecommerce' });
        await appending;
        await restoreSavepoint({ views, objects, log, pipeline: v1, topics }, saved.id, { namespace: 'restored' });
      } finally {
        await sub.stop();
      }
      await runToEnd(log, views, v1, 'restored');
      await runToEnd(log, views, v1, 'uninterrupted');
      expect(await windowsOf(views, 'restored', v1)).toEqual(await windowsOf(views, 'uninterrupted', v1));
    });

    it('a changed view is refused, naming the view and what changed, before the namespace is touched', async () => {
      const { log, views, objects, saved } = await savedHalfway();
      const err = await restoreSavepoint({ views, objects, log, pipeline: v2, topics }, saved.id, { namespace: 'changed' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChangedViewError);
      expect((err as ChangedViewError).changes).toEqual({ revenue: ['window'] });
      expect((err as Error).message).toMatch(/view revenue \(window changed\).*--rebuild-changed/);
      expect(await views.listNamespaces()).not.toContain('changed');
    });

    it('with --rebuild-changed, unchanged views resume and new and changed ones are built from earliest: the views of an uninterrupted run of the new pipeline', async () => {
      const { log, views, objects, saved } = await savedHalfway();
      const r = await restoreSavepoint({ views, objects, log, pipeline: v2, topics }, saved.id, { namespace: 'changed', rebuildChanged: true });
      expect(r).toMatchObject({ resumed: ['product_activity'], added: ['user_purchases'], rebuilt: ['revenue'], dropped: ['user_sessions'] });
      await runToEnd(log, views, v2, 'changed');
      await runToEnd(log, views, v2, 'uninterrupted');
      const windows = await windowsOf(views, 'changed', v2);
      expect(windows).toEqual(await windowsOf(views, 'uninterrupted', v2));
      expect((windows.user_purchases as unknown[]).length).toBeGreaterThan(0);
      expect(await views.queryPanes('changed', { view: 'user_sessions', from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })).toEqual([]);
      // Caught up: the checkpoints carry no catch-up any more, and count what an uninterrupted run counts.
      expect(await views.checkpoints('changed')).toEqual(await views.checkpoints('uninterrupted'));
    });

    it('new views from latest start at the end of the log while the resumed views go on from the savepoint', async () => {
      const { log, views, objects, saved } = await savedHalfway();
      await restoreSavepoint({ views, objects, log, pipeline: v2, topics }, saved.id, { namespace: 'changed', rebuildChanged: true, newViewsFrom: { kind: 'latest' } });
      await runToEnd(log, views, v2, 'changed');
      await runToEnd(log, views, v2, 'uninterrupted');
      const windows = await windowsOf(views, 'changed', v2);
      const reference = await windowsOf(views, 'uninterrupted', v2);
      expect(windows.product_activity).toEqual(reference.product_activity);
      // Nothing was appended after the restore: the new and rebuilt views have no window yet.
      expect(windows.user_purchases).toEqual([]);
      expect(windows.revenue).toEqual([]);
      expect([...(await views.checkpoints('changed')).values()].every((cp) => cp.catchUp === undefined)).toBe(true);
    });

    it('a job stopped while its new views catch up goes on from its checkpoints: each view still starts where it should', async () => {
      const { log, views, objects, saved } = await savedHalfway();
      await restoreSavepoint({ views, objects, log, pipeline: v2, topics }, saved.id, { namespace: 'changed', rebuildChanged: true });
      // Stopped after its first commits, long before the savepoint's offsets.
      let commits = 0;
      const job = new StreamJob({ log, views, pipeline: v2, topics }, { namespace: 'changed', from: { kind: 'earliest' }, stopAtEnd: true, maxBatchRecords: 50, maxUncommittedRecords: 50, sideOutputs: false, onCommit: () => void (++commits === 2 && job.stop()) });
      await (await job.start()).done;
      const midway = await views.checkpoints('changed');
      expect([...midway.values()].some((cp) => cp.catchUp?.expect !== undefined && cp.nextOffset < cp.catchUp.expect.offset)).toBe(true);
      await runToEnd(log, views, v2, 'changed');
      await runToEnd(log, views, v2, 'uninterrupted');
      expect(await windowsOf(views, 'changed', v2)).toEqual(await windowsOf(views, 'uninterrupted', v2));
      expect(await views.checkpoints('changed')).toEqual(await views.checkpoints('uninterrupted'));
    });

    it('refuses to resume views whose namespace did not start where the new views are built from', async () => {
      const log = await openLog();
      const views = await openStore();
      const objects = new LocalObjectStore(await tempDir());
      await append(log, 0, half);
      // Started part-way into the log: reading from earliest reaches the savepoint's offsets with other counts.
      const offsets = await log.endOffsets(topics.events);
      await append(log, half, half + 500);
      await runToEnd(log, views, v1, 'speed', { kind: 'offsets', offsets, fallback: 'earliest' });
      const saved = await takeSavepoint({ views, objects, pipeline: v1 }, { namespace: 'speed', topic: topics.events, partitionCount: 3, pipelineName: 'ecommerce' });
      await restoreSavepoint({ views, objects, log, pipeline: v2, topics }, saved.id, { namespace: 'changed', rebuildChanged: true });
      await expect(runToEnd(log, views, v2, 'changed')).rejects.toThrow(SavepointError);
      await expect(runToEnd(log, views, v2, 'changed')).rejects.toThrow(/reached the savepoint's offset \d+ in another state \(.*valid count \d+, the savepoint's \d+.*--new-views-from/);
    });

    it('refuses a namespace that has checkpoints, another topic, and an unknown id', async () => {
      const { log, views, objects, saved } = await savedHalfway();
      const deps = { views, objects, log, pipeline: v1, topics };
      await expect(restoreSavepoint(deps, saved.id, { namespace: 'speed' })).rejects.toThrow(/namespace "speed" already has checkpoints/);
      await expect(restoreSavepoint({ ...deps, topics: { ...topics, events: 'other' } }, saved.id, { namespace: 'x' })).rejects.toThrow(/taken from topic events/);
      await expect(restoreSavepoint(deps, 'sp_20260101000000_abcd', { namespace: 'x' })).rejects.toThrow(new RegExp(`no savepoint sp_20260101000000_abcd .*newest: ${saved.id}`));
    });
  });
}
