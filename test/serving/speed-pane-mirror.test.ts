import { describe, expect, it } from 'vitest';
import { BucketTotals } from '../../shared/compute/bucket-totals.ts';
import { PartitionProcessor } from '../../shared/compute/partition-processor.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { partitionCommitOf, type StoredPane } from '../../shared/ports/view-store.ts';
import { SpeedPaneMirror } from '../../serving/speed-pane-mirror.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { ev, HOUR, MIN, partitionOf, randomEvents, T0 } from './support/layer-fixtures.ts';

const pipeline = compilePipeline(ecommerceConfig());
/** An event as a log record: the validator wants a quantity of 1 or more, which the fixtures leave 0 on page views (no measure reads it there). */
const record = (e: object) => JSON.stringify({ ...e, quantity: Math.max(1, (e as { quantity: number }).quantity) });
const bucketMs = pipeline.config.bucketMs;
const order = (a: StoredPane, b: StoredPane) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start || a.bucket - b.bucket || a.partition - b.partition);

/** The totals recomputed from scratch from the store's panes (the brute force the mirror's incremental ones must equal). */
async function freshTotals(store: InMemoryViewStore, view: string, minBucket: number): Promise<unknown[]> {
  const panes = await store.queryPanes('speed', { view, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER, minBucket });
  const totals = new BucketTotals(pipeline.view(view).aggregate, bucketMs);
  const keys = new Set(panes.map((p) => `${p.key}\u0000${p.bucket}`));
  for (const id of keys) {
    const [key, bucket] = id.split('\u0000');
    totals.set(key, Number(bucket), panes.filter((p) => p.key === key && p.bucket === Number(bucket)));
  }
  return [...totals.entries()].sort();
}

describe('SpeedPaneMirror', () => {
  it('after every commit of a live stream holds what the store holds from the horizon on, its totals equal to a recomputation, reading only what changed', async () => {
    for (const seed of [5, 6, 7]) {
      const store = new InMemoryViewStore();
      await store.ensureNamespace('speed');
      const partitions = 3;
      const processors = [...Array(partitions).keys()].map((p) => new PartitionProcessor(pipeline, p));
      const mirror = new SpeedPaneMirror(store, pipeline, 'speed');
      let horizon = T0;
      // A dense stream (a chunk of 30 is ~80 s of event time), so each sync's bound is near the last one's.
      const events = randomEvents(seed, 900, T0 + HOUR - 10 * MIN, 40 * MIN);
      let fullReads = 0;
      const offsets = new Array<number>(partitions).fill(0);
      let latest = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < events.length; i += 30) {
        // Stragglers too: events up to 70 s behind the newest so far, around the lateness bound
        // (5 s out of order + 60 s allowed): some accepted into windows about to close, some too late.
        // First, at the watermark of the last commit: they land right at the bound the mirror last saw.
        const stragglers = Number.isFinite(latest) ? [0, 1, 2, 3, 4].map((j) => ev('page_view', `u${j}`, `p${(i + j) % 4}`, latest - ((i * 7919 + j * 13_001) % 70_000))) : [];
        latest = Math.max(latest, ...events.slice(i, i + 30).map((e) => e.event_time));
        for (const e of [...stragglers, ...events.slice(i, i + 30)]) {
          // As records of the log: each partition's offsets advance, as the stream job's commits do.
          const partition = partitionOf(e, partitions);
          processors[partition].process({ partition, offset: offsets[partition]++, timestamp: e.event_time, value: record(e) });
        }
        // Not every partition commits every time, as a stream job's partitions do not.
        const committing = processors.filter((_, p) => (i / 30 + p + seed) % 3 !== 0);
        await store.commit('speed', committing.map((proc) => partitionCommitOf(proc.flush())));
        // A publish now and then moves the horizon up.
        if (i === 450) horizon += HOUR;
        await mirror.sync(await store.checkpoints('speed'), horizon);
        for (const view of ['product_activity']) {
          const q = { view, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER, minBucket: horizon };
          const want = (await store.queryPanes('speed', q)).sort(order);
          expect(mirror.query(q)!.slice().sort(order)).toEqual(want);
          const one = { ...q, key: want[0]?.key ?? 'p1', from: horizon, to: horizon + 30 * 60_000, ordered: {}, maxRows: 5 };
          expect(mirror.query(one)).toEqual(await store.queryPanes('speed', one));
        }
        for (let p = 0; p < partitions; p++) fullReads += (await store.partitionPanes('speed', p, horizon)).length;
        expect([...mirror.totals('product_activity')!.entries()].sort()).toEqual(await freshTotals(store, 'product_activity', horizon));
      }
      expect(fullReads).toBeGreaterThan(1_000);
      // Incremental: fewer panes read than re-reading the speed half at each commit would.
      expect(mirror.panesRead).toBeLessThan(fullReads / 2);
    }
  });

  it('shares one sync among the callers that arrive while one runs, reading the newest checkpoints', async () => {
    const store = new InMemoryViewStore();
    await store.ensureNamespace('speed');
    const proc = new PartitionProcessor(pipeline, 0);
    let offset = 0;
    const commit = async (t: number) => {
      const e = ev('page_view', 'u0', 'p1', t);
      proc.process({ partition: 0, offset: offset++, timestamp: t, value: record(e) });
      await store.commit('speed', [partitionCommitOf(proc.flush())]);
    };
    await commit(T0 + HOUR + MIN);
    let reads = 0;
    // Reads wait until every caller has asked: the first sync is still running when they do.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const read = store.partitionPanes.bind(store);
    store.partitionPanes = async (...args) => {
      reads++;
      await gate;
      return read(...args);
    };
    const mirror = new SpeedPaneMirror(store, pipeline, 'speed');
    const first = mirror.sync(await store.checkpoints('speed'), T0);
    const waiting: Promise<void>[] = [];
    for (let i = 2; i <= 6; i++) {
      await commit(T0 + HOUR + i * MIN);
      waiting.push(mirror.sync(await store.checkpoints('speed'), T0));
    }
    release();
    await Promise.all([first, ...waiting]);
    // The running sync, then one for all five callers, with the last commit in it.
    expect(reads).toBe(2);
    const q = { view: 'product_activity', key: 'p1', from: T0, to: T0 + 3 * HOUR, minBucket: T0 };
    expect(mirror.query(q)!.map((p) => p.start)).toEqual([1, 2, 3, 4, 5, 6].map((i) => T0 + HOUR + i * MIN));
  });

  it('cannot answer what it does not hold: sessions, and buckets below its horizon', async () => {
    const store = new InMemoryViewStore();
    await store.ensureNamespace('speed');
    const mirror = new SpeedPaneMirror(store, pipeline, 'speed');
    await mirror.sync(await store.checkpoints('speed'), T0 + HOUR);
    expect(mirror.holds('user_sessions')).toBe(false);
    expect(mirror.holds('revenue')).toBe(false);
    expect(mirror.query({ view: 'product_activity', from: 0, to: T0 * 2, minBucket: T0 })).toBeUndefined();
    expect(mirror.query({ view: 'product_activity', from: 0, to: T0 * 2 })).toBeUndefined();
    expect(mirror.query({ view: 'product_activity', from: 0, to: T0 * 2, minBucket: T0 + HOUR })).toEqual([]);
    // A caller with an older horizon does not take it back (it reads the store instead).
    await mirror.sync(await store.checkpoints('speed'), T0);
    expect(mirror.query({ view: 'product_activity', from: 0, to: T0 * 2, minBucket: T0 })).toBeUndefined();
    expect(mirror.query({ view: 'product_activity', from: 0, to: T0 * 2, minBucket: T0 + HOUR })).toEqual([]);
  });
});
