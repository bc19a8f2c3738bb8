import { describe, expect, it } from 'vitest';
import { PartitionProcessor } from '../../shared/compute/partition-processor.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { topKeys } from '../../shared/compute/top-keys.ts';
import { partitionCommitOf } from '../../shared/ports/view-store.ts';
import { QueryService } from '../../serving/query-service.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { batchPanesBefore, ev, HOUR, MIN, partitionOf, randomEvents, T0 } from './support/layer-fixtures.ts';
import { presentWindow } from '../../shared/compute/view-def.ts';

const pipeline = compilePipeline(ecommerceConfig());
/** An event as a log record: the validator wants a quantity of 1 or more, which the fixtures leave 0 on page views (no measure reads it there). */
const record = (e: object) => JSON.stringify({ ...e, quantity: Math.max(1, (e as { quantity: number }).quantity) });
const H = T0 + 2 * HOUR;
const PARTITIONS = 2;
const tick = () => new Promise((r) => setTimeout(r, 5));

/** A speed layer committing as the stream job does: records with offsets, one commit per chunk. */
function liveStream(store: InMemoryViewStore) {
  const processors = [...Array(PARTITIONS).keys()].map((p) => new PartitionProcessor(pipeline, p));
  const offsets = new Array<number>(PARTITIONS).fill(0);
  return async (events: readonly ReturnType<typeof ev>[]) => {
    for (const e of events) {
      const partition = partitionOf(e, PARTITIONS);
      processors[partition].process({ partition, offset: offsets[partition]++, timestamp: e.event_time, value: record(e) });
    }
    await store.commit('speed', processors.map((p) => partitionCommitOf(p.flush())));
  };
}

async function setup() {
  const store = new InMemoryViewStore();
  await store.ensureNamespace('speed');
  const batch = new InMemoryBatchPaneSource(pipeline);
  const events = randomEvents(21, 1_200, T0, 3 * HOUR);
  batch.publish(H, batchPanesBefore(pipeline, events, H));
  const commit = liveStream(store);
  // As `lk serve` runs (stream state for 1 ms, answers by state, the speed mirror), and with every cache off (the reference).
  const live = new QueryService({ pipeline, viewStore: store, batch, clock: () => T0 + 4 * HOUR }, { streamStateTtlMs: 1 });
  const plain = new QueryService({ pipeline, viewStore: store, batch, clock: () => T0 + 4 * HOUR });
  return { store, batch, events, commit, live, plain };
}

describe('Lambda serving under a live stream', () => {
  it('ranks top-N from bucket totals exactly as merging every key’s windows does, after every commit', async () => {
    const { store, events, commit, live, plain } = await setup();
    const ranges = [
      [H - 30 * MIN, H + 30 * MIN],
      [T0, T0 + 3 * HOUR],
      [T0 + 17 * MIN, H + 43 * MIN],
      [H, H + HOUR],
      [T0 + HOUR, H],
    ];
    for (let i = 0; i < events.length; i += 200) {
      await commit(events.slice(i, i + 200));
      await tick();
      for (const [from, to] of ranges) {
        for (const by of ['views', 'revenue_cents']) {
          const q = { view: 'product_activity', by, n: 3, from, to, mode: 'lambda' as const };
          const reads = store.paneQueries.length;
          const got = await live.top(q);
          // From totals in memory: no pane read from the store.
          expect(store.paneQueries.length).toBe(reads);
          // The existing ranking: every key's merged windows, ranked by topKeys.
          const merged = await plain.mergedWindows({ view: q.view, from, to, mode: 'lambda' });
          const view = pipeline.view(q.view);
          const want = topKeys(view, merged.windows, by, 3).map((t) => ({ key: t.key, windows: t.windows, layers: t.tags, value: presentWindow(view.def, view.aggregate.named(t.acc, t.states), { start: from, end: to }) }));
          expect(got.keys).toEqual(want);
          expect(got.keys).toEqual((await plain.top(q)).keys);
        }
      }
    }
    expect(live.mirrorPanesRead()).toBeGreaterThan(0);
    const last = await live.top({ view: 'product_activity', by: 'views', n: 3, from: H - 30 * MIN, to: H + 30 * MIN, mode: 'lambda' });
    expect(last.keys.some((k) => k.layers.includes('batch')) && last.keys.some((k) => k.layers.includes('speed'))).toBe(true);
  });

  it('answers a lookup after a speed commit with that commit (no stale answer), from memory once a top-N synced it', async () => {
    const { store, events, commit, live, plain } = await setup();
    await commit(events);
    await tick();
    // The stream is at T0 + 3 h: the range reaches past it, into windows still open.
    const q = { view: 'product_activity', key: 'p1', from: H - 30 * MIN, to: H + 90 * MIN, mode: 'lambda' as const };
    const open = T0 + 3 * HOUR + 5 * MIN;
    const before = await live.query(q);
    expect(before.windows).toEqual((await plain.query(q)).windows);
    for (let round = 1; round <= 3; round++) {
      // One more p1 view in the speed half, in one open window.
      await commit([ev('page_view', 'u1', 'p1', open + round)]);
      await tick();
      // Once a top-N has synced the mirror to this commit, the lookup reads memory.
      if (round > 1) await live.top({ view: 'product_activity', by: 'views', n: 3, from: q.from, to: q.to, mode: 'lambda' });
      const reads = store.paneQueries.length;
      const after = await live.query(q);
      expect(store.paneQueries.length).toBe(round > 1 ? reads : reads + 1);
      expect(after.windows).toEqual((await plain.query(q)).windows);
      const at = (r: typeof after) => (r.windows.find((w) => w.start === new Date(open).toISOString())?.value.views as number | undefined) ?? 0;
      expect(at(after)).toBe(at(before) + round);
      expect(after.windows.filter((w) => !w.final).length).toBeGreaterThan(0);
    }
  });
});
