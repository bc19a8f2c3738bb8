import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { QueryService } from '../../serving/query-service.ts';
import { StreamStateCache } from '../../serving/stream-state-cache.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { commitStream, ev, HOUR, MIN, T0 } from './support/layer-fixtures.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());

describe('StreamStateCache', () => {
  it('reads checkpoints and the alias once per ttl, and a query’s panes once per generation', async () => {
    const store = new InMemoryViewStore();
    await commitStream(store, 'speed', pipeline, [ev('page_view', 'u1', 'p1', T0 + MIN)]);
    let now = 0;
    const cache = new StreamStateCache(store, { ttlMs: 50, clock: () => now });
    const reads = { checkpoints: 0 };
    const checkpoints = store.checkpoints.bind(store);
    store.checkpoints = async (ns) => {
      reads.checkpoints++;
      return checkpoints(ns);
    };
    await cache.checkpoints('speed');
    await cache.checkpoints('speed');
    expect(reads.checkpoints).toBe(1);
    now = 50;
    await cache.checkpoints('speed');
    expect(reads.checkpoints).toBe(2);

    const q = { view: 'product_activity', key: 'p1', from: T0, to: T0 + HOUR };
    const first = await cache.queryPanes('speed', q, 'g1');
    expect(await cache.queryPanes('speed', q, 'g1')).toBe(first);
    expect(store.paneQueries).toHaveLength(1);
    await cache.queryPanes('speed', q, 'g2');
    await cache.queryPanes('speed', { ...q, key: 'p2' }, 'g1');
    expect(store.paneQueries).toHaveLength(3);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 3 });
  });

  it('computes one top answer for concurrent and repeated requests over the same state', async () => {
    const store = new InMemoryViewStore();
    await commitStream(store, 'speed', pipeline, [ev('page_view', 'u1', 'p1', T0 + MIN), ev('page_view', 'u2', 'p2', T0 + MIN), ev('purchase', 'u2', 'p2', T0 + 2 * MIN)]);
    const service = new QueryService({ pipeline, viewStore: store, batch: new InMemoryBatchPaneSource(), clock: () => T0 + HOUR }, { streamStateTtlMs: 60_000 });
    const q = { view: 'product_activity', by: 'views', n: 10, from: T0, to: T0 + HOUR, mode: 'speed' as const };
    const answers = await Promise.all(Array.from({ length: 20 }, () => service.top(q)));
    expect(answers[0].keys.map((k) => [k.key, k.value.views])).toEqual([['p1', 1], ['p2', 1]]);
    expect(answers.every((a) => JSON.stringify(a.keys) === JSON.stringify(answers[0].keys))).toBe(true);
    expect(store.paneQueries).toHaveLength(1);
    expect(service.answerCacheStats()).toEqual({ hits: 19, misses: 1 });
    // Another ranking is another answer, over the same pane read (no commit since).
    const purchases = await service.top({ ...q, by: 'purchases' });
    expect(purchases.keys.map((k) => k.key)).toEqual(['p2', 'p1']);
    expect(service.answerCacheStats()).toEqual({ hits: 19, misses: 2 });
    expect(store.paneQueries).toHaveLength(1);
  });

  it('serves repeated queries from one read, and a commit’s events once the ttl has passed', async () => {
    const store = new InMemoryViewStore();
    const first = [ev('page_view', 'u1', 'p1', T0 + MIN)];
    await commitStream(store, 'speed', pipeline, first);
    const service = new QueryService({ pipeline, viewStore: store, batch: new InMemoryBatchPaneSource(), clock: () => T0 + HOUR }, { streamStateTtlMs: 20 });
    const q = { view: 'product_activity', key: 'p1', from: T0, to: T0 + HOUR, mode: 'speed' as const };
    const a = await service.query(q);
    const b = await service.query(q);
    expect(b.windows).toEqual(a.windows);
    expect(store.paneQueries).toHaveLength(1);
    expect(a.windows.map((w) => w.value.views)).toEqual([1]);

    // The stream moves on (here: the namespace rebuilt over one more event), so do the checkpoints:
    // the next read after the ttl sees a new generation and the new event.
    await store.dropNamespace('speed');
    await commitStream(store, 'speed', pipeline, [...first, ev('page_view', 'u1', 'p1', T0 + MIN + 1)]);
    await new Promise((r) => setTimeout(r, 30));
    const c = await service.query(q);
    expect(c.windows.map((w) => w.value.views)).toEqual([2]);
    // The repeated query was answered whole from the answer cache; the new generation was read again.
    expect(service.answerCacheStats()).toEqual({ hits: 1, misses: 2 });
    expect(service.streamCacheStats()).toEqual({ hits: 0, misses: 2 });
  });
});
