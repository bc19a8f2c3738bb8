import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { type EcommerceEvent as Event } from '../../examples/ecommerce/pipeline.ts';
import { BadRequestError, NotFoundError, ServiceUnavailableError } from '../../shared/errors.ts';
import { QueryService, type QueryServiceOptions, type WindowQuery } from '../../serving/query-service.ts';
import { parseWindowRequest } from '../../serving/window-request.ts';
import type { ServingMode } from '../../serving/serving-mode.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { batchPanesBefore, commitStream, ev, expectedWindows, HOUR, MIN, randomEvents, T0 } from './support/layer-fixtures.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { measureKindsPipeline } from '../shared/support/measure-kinds-views.ts';

const pipeline = compilePipeline(ecommerceConfig());
const NOW = T0 + 6 * HOUR;
const iso = (t: number) => new Date(t).toISOString();

interface Setup {
  readonly events: readonly Event[];
  /** Publish a batch at this horizon (none when absent). */
  readonly horizon?: number;
  /** Run the speed layer over the events (default true). */
  readonly speed?: boolean;
  readonly options?: QueryServiceOptions;
}

async function setup({ events, horizon, speed = true, options }: Setup) {
  const store = new InMemoryViewStore();
  const batch = new InMemoryBatchPaneSource();
  if (horizon !== undefined) batch.publish(horizon, batchPanesBefore(pipeline, events, horizon));
  if (speed) await commitStream(store, 'speed', pipeline, events);
  const service = new QueryService({ pipeline, viewStore: store, batch, clock: () => NOW }, options);
  return { store, batch, service };
}

/** What serving should answer: the windows of all events overlapping [from, to), presented. */
function expected(viewName: string, events: readonly Event[], from: number, to: number, key?: string) {
  const view = pipeline.view(viewName);
  return expectedWindows(pipeline, viewName, events)
    .filter((w) => w.end > from && w.start < to && (key === undefined || w.key === key))
    .map((w) => ({ key: w.key, start: iso(w.start), end: iso(w.end), value: view.def.present!(view.aggregate.named(w.acc), w) }));
}

/** Every page of a query, following `next` (decoded as the HTTP layer does). */
async function allPages(service: QueryService, q: WindowQuery) {
  const pages = [];
  let cursor: string | null = null;
  do {
    const page = await service.query(cursor === null ? q : { ...parseWindowRequest(q.view, { cursor }, NOW), limit: q.limit });
    pages.push(page);
    cursor = page.next;
  } while (cursor !== null && pages.length < 1_000);
  return pages;
}

const values = (r: { windows: ReadonlyArray<{ key: string; start: string; end: string; value: unknown }> }) =>
  r.windows.map(({ key, start, end, value }) => ({ key, start, end, value }));

describe('QueryService.query', () => {
  const events = randomEvents(11, 500, T0, 4 * HOUR);

  it('answers every view in lambda mode as if all events were folded at once', async () => {
    const { service } = await setup({ events, horizon: T0 + 2 * HOUR });
    for (const view of pipeline.views) {
      const from = T0 + 90 * MIN;
      const to = T0 + 150 * MIN;
      const r = await service.query({ view: view.name, from, to, mode: 'lambda' });
      expect(r.windows.length).toBeGreaterThan(0);
      expect(values(r), view.name).toEqual(expected(view.name, events, from, to));
    }
  });

  it('answers one key, and reads speed only from the horizon on even after the speed layer expired older buckets', async () => {
    const horizon = T0 + 2 * HOUR;
    const { service, store, batch } = await setup({ events, horizon });
    await store.expireBefore('speed', horizon);
    const r = await service.query({ view: 'user_sessions', key: 'u3', from: T0, to: T0 + 4 * HOUR, mode: 'lambda' });

    expect(values(r)).toEqual(expected('user_sessions', events, T0, T0 + 4 * HOUR, 'u3'));
    expect(r).toMatchObject({ view: 'user_sessions', key: 'u3', mode: 'lambda', batchHorizon: iso(horizon), kappaVersion: null });
    expect(batch.queries.every((q) => q.maxBucket === horizon && q.key === 'u3')).toBe(true);
  });

  it('serves Kappa from the namespace the alias points at, and says when there is none', async () => {
    const { service, store } = await setup({ events, horizon: T0 + HOUR, speed: false });
    await expect(service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'kappa' })).rejects.toThrow(NotFoundError);

    await commitStream(store, 'kappa_v1', pipeline, events);
    await store.setAlias('kappa', 'kappa_v1');
    const r = await service.query({ view: 'revenue', from: T0, to: T0 + 3 * HOUR, mode: 'kappa' });
    expect(values(r)).toEqual(expected('revenue', events, T0, T0 + 3 * HOUR));
    expect(r.kappaVersion).toBe('kappa_v1');
    // Each window names the Kappa version it came from, not a Lambda layer.
    expect(r.windows.length).toBeGreaterThan(0);
    expect(r.windows.every((w) => w.layers.join() === 'kappa_v1')).toBe(true);
  });

  it('serves each Lambda layer alone in batch and speed modes', async () => {
    const horizon = T0 + 2 * HOUR;
    const { service } = await setup({ events, horizon });
    const batchOnly = await service.query({ view: 'product_activity', from: T0, to: T0 + 4 * HOUR, mode: 'batch' });
    expect(values(batchOnly)).toEqual(expected('product_activity', events.filter((e) => e.event_time < horizon), T0, T0 + 4 * HOUR));
    expect(batchOnly.windows.every((w) => w.layers.join() === 'batch')).toBe(true);

    const speedOnly = await service.query({ view: 'product_activity', from: T0, to: T0 + 4 * HOUR, mode: 'speed' });
    expect(values(speedOnly)).toEqual(expected('product_activity', events, T0, T0 + 4 * HOUR));
  });

  it('says what to run when a mode has nothing to serve yet', async () => {
    const noBatch = await setup({ events });
    await expect(noBatch.service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'batch' })).rejects.toThrow(/no batch view is published/);

    const nothing = await setup({ events, speed: false });
    await expect(nothing.service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'speed' })).rejects.toThrow(/lk speed/);
    await expect(nothing.service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'lambda' })).rejects.toThrow(NotFoundError);

    // Batch published, speed layer not started: Lambda is the batch alone.
    const batchOnly = await setup({ events, horizon: T0 + 2 * HOUR, speed: false });
    const r = await batchOnly.service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'lambda' });
    expect(values(r)).toEqual(expected('revenue', events, T0, T0 + HOUR));
    expect(r.freshness.watermark).toBeNull();
  });

  it('rejects unknown views, empty or oversized ranges and answers over the limit, naming the parameter', async () => {
    const { service } = await setup({ events, horizon: T0 + 2 * HOUR, options: { limits: { maxWindows: 5, maxRangeMs: 6 * HOUR } } });
    const reasons = async (q: Partial<Parameters<QueryService['query']>[0]>) => {
      const err = await service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'lambda', ...q }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err === undefined) return 'ok';
      return err instanceof BadRequestError ? err.parameter : err instanceof NotFoundError ? `not found: ${err.message}` : String(err);
    };
    expect(await reasons({ view: 'nope' })).toBe('not found: unknown view "nope"; known views: product_activity, revenue, user_sessions');
    expect(await reasons({ to: T0 })).toBe('to');
    expect(await reasons({ to: T0 + 7 * HOUR })).toBe('from');
    expect(await reasons({ from: Number.NaN })).toBe('from');
    expect(await reasons({ key: '' })).toBe('key');
    expect(await reasons({ view: 'product_activity', key: 'p\u0000' })).toBe('key');
    expect(await reasons({ view: 'product_activity', key: 'p\ud800' })).toBe('key');
    expect(await reasons({ view: 'product_activity', key: 'p'.repeat(257) })).toBe('key');
    expect(await reasons({ key: 'p1' })).toBe('key'); // revenue is global
    expect(await reasons({ limit: 0 })).toBe('limit');
    expect(await reasons({ limit: 6 })).toBe('limit');
    expect(await reasons({})).toBe('limit'); // 70 sliding windows in an hour, more than 5
    expect(await reasons({ view: 'product_activity', key: 'p1', to: T0 + 3 * MIN })).toBe('ok');
  });

  it('applies no size limits to mergedWindows, the raw answer comparisons read', async () => {
    const { service } = await setup({ events, horizon: T0 + 2 * HOUR, options: { limits: { maxWindows: 5, maxRangeMs: HOUR, maxPanes: 10 } } });
    const answer = await service.mergedWindows({ view: 'revenue', from: T0, to: T0 + 4 * HOUR, mode: 'lambda' });
    const view = pipeline.view('revenue');
    const got = answer.windows.map((w) => ({ key: w.key, start: iso(w.start), end: iso(w.end), value: view.def.present!(view.aggregate.named(w.acc), w) }));
    expect(got).toEqual(expected('revenue', events, T0, T0 + 4 * HOUR));
    expect(answer).toMatchObject({ horizon: T0 + 2 * HOUR, namespace: 'speed', kappaVersion: null });
  });

  it('reads again when a batch is published during a query, so no bucket is lost to speed expiry', async () => {
    const { service, store, batch } = await setup({ events, horizon: T0 + HOUR });
    let published = false;
    batch.afterPanes = () => {
      if (published) return;
      published = true;
      // A new batch covering up to 03:00, then the speed layer forgets what it covers.
      batch.publish(T0 + 3 * HOUR, batchPanesBefore(pipeline, events, T0 + 3 * HOUR));
      void store.expireBefore('speed', T0 + 3 * HOUR);
    };
    const r = await service.query({ view: 'revenue', from: T0, to: T0 + 4 * HOUR, mode: 'lambda' });
    expect(r.batchHorizon).toBe(iso(T0 + 3 * HOUR));
    expect(values(r)).toEqual(expected('revenue', events, T0, T0 + 4 * HOUR));

    // A horizon that moves on every read never gives a consistent snapshot: a clear, retriable error.
    let moving = T0 + 4 * HOUR;
    batch.afterPanes = () => batch.publish((moving += HOUR), []);
    await expect(service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'lambda' })).rejects.toThrow(ServiceUnavailableError);
  });
});

describe('QueryService batch snapshots', () => {
  it('reads every fetch of one query from the snapshot it took, so a publish during the query never mixes two runs', async () => {
    // One session of u1 from 10:00 to 15:10 (an event every 20 min): a query of 12:00-12:05 fetches
    // the neighbourhood first, then extends to the session's ends in further fetches.
    const chain = Array.from({ length: 16 }, (_, i) => ev('page_view', 'u1', 'p1', T0 + i * 20 * MIN));
    const horizon = T0 + 6 * HOUR;
    const { service, batch } = await setup({ events: chain, horizon, speed: false });
    const twice = [...chain, ...chain.map((e) => ({ ...e, event_id: `${e.event_id}-again` }))];
    let published = false;
    batch.afterPanes = () => {
      if (published) return;
      published = true;
      // Another run with the same horizon and other panes (every event counted twice).
      batch.publish(horizon, batchPanesBefore(pipeline, twice, horizon));
    };
    const q = { view: 'user_sessions', key: 'u1', from: T0 + 2 * HOUR, to: T0 + 2 * HOUR + 5 * MIN, mode: 'batch' as const };
    const r = await service.query(q);
    expect(batch.queries.length).toBeGreaterThan(1);
    expect(r.batchRun).toBe('run-1');
    expect(values(r)).toEqual(expected('user_sessions', chain, q.from, q.to, 'u1'));
    // The next query reads the new run.
    const next = await service.query(q);
    expect(next.batchRun).toBe('run-2');
    expect(values(next)).toEqual(expected('user_sessions', twice, q.from, q.to, 'u1'));
  });
});

describe('QueryService finality and freshness', () => {
  // Partition = user number % 2: u0 and u2 on partition 0, u1 on partition 1.
  const H = T0 + 2 * HOUR;
  const events = [
    ev('page_view', 'u0', 'p1', T0 + 10 * MIN),
    ev('page_view', 'u2', 'p2', H - 10 * MIN),
    ev('page_view', 'u1', 'p3', H + MIN),
    ev('page_view', 'u1', 'p4', H + 10 * MIN),
    ev('page_view', 'u0', 'p5', H + 30 * MIN),
  ];
  // Partition 1 is behind: its max event time H+10m decides.
  const lateBefore = H + 10 * MIN - 5_000 - 60_000;

  const finalOf = async (service: QueryService, viewName: string, mode: ServingMode) => {
    const r = await service.query({ view: viewName, from: T0, to: T0 + 4 * HOUR, mode });
    return Object.fromEntries(r.windows.map((w) => [`${w.key} ${w.start.slice(11, 16)}-${w.end.slice(11, 16)}`, w.final]));
  };

  it('marks batch windows final and streaming ones once they end by the slowest partition\'s lateness bound', async () => {
    const { service } = await setup({ events, horizon: H });
    expect(await finalOf(service, 'product_activity', 'lambda')).toEqual({
      'p1 10:10-10:11': true,
      'p2 11:50-11:51': true,
      'p3 12:01-12:02': true, // ends 12:02, before 12:08:55
      'p4 12:10-12:11': false,
      'p5 12:30-12:31': false,
    });
    expect(await finalOf(service, 'user_sessions', 'lambda')).toEqual({
      'u0 10:10-10:40': true,
      'u0 12:30-13:00': false,
      'u1 12:01-12:40': false,
      'u2 11:50-12:20': false, // batch alone so far, but it runs past the horizon
    });
    expect(await finalOf(service, 'user_sessions', 'batch')).toEqual({ 'u0 10:10-10:40': true, 'u2 11:50-12:20': false });
    expect(await finalOf(service, 'user_sessions', 'speed')).toMatchObject({ 'u0 10:10-10:40': true, 'u2 11:50-12:20': false });
  });

  it('states the horizon, watermark, lateness bound and newest event in ISO', async () => {
    const { service } = await setup({ events, horizon: H });
    const r = await service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'lambda' });
    expect(r.freshness).toEqual({
      asOf: iso(NOW),
      batchHorizon: iso(H),
      watermark: iso(H + 10 * MIN - 5_000),
      finalBefore: iso(lateBefore),
      maxEventTime: iso(H + 30 * MIN),
      lagMs: NOW - (H + 30 * MIN),
    });
    const batchOnly = await service.query({ view: 'revenue', from: T0, to: T0 + HOUR, mode: 'batch' });
    expect(batchOnly.freshness).toMatchObject({ batchHorizon: iso(H), watermark: null, maxEventTime: null, lagMs: null });
  });
});

describe('QueryService.status and views', () => {
  it('summarises the horizon, the Kappa alias and every namespace\'s checkpoints', async () => {
    const events = [ev('purchase', 'u0', 'p1', T0), ev('purchase', 'u1', 'p1', T0 + MIN), ev('page_view', 'u1', 'p1', T0 + 2 * MIN)];
    const { service, store } = await setup({ events, horizon: T0 });
    await commitStream(store, 'kappa_v1', pipeline, events.slice(0, 1), 1);
    await store.setAlias('kappa', 'kappa_v1');
    const s = await service.status();

    expect(s).toMatchObject({ asOf: iso(NOW), views: ['product_activity', 'revenue', 'user_sessions'], batchHorizon: iso(T0), speedNamespace: 'speed' });
    expect(s.kappa).toEqual({ alias: 'kappa', namespace: 'kappa_v1' });
    expect(s.namespaces.map((n) => [n.namespace, n.partitions, n.totals.valid, n.maxEventTime, n.watermark])).toEqual([
      ['kappa_v1', 1, 1, iso(T0), iso(T0 - 5_000)],
      ['speed', 2, 3, iso(T0 + 2 * MIN), iso(T0 - 5_000)],
    ]);
  });

  it('lists the views with their windows and measures', async () => {
    const { service } = await setup({ events: [] , speed: false });
    expect(service.views().map((v) => [v.name, v.window, v.keyField])).toEqual([
      ['product_activity', 'tumbling 1m', 'product_id'],
      ['revenue', 'sliding 10m every 1m', null],
      ['user_sessions', 'session gap 30m', 'user_id'],
    ]);
    expect(service.views()[1].measures).toEqual(['revenue_cents', 'orders']);
  });
});

describe('QueryService: a query it refuses costs no read', () => {
  const events = randomEvents(21, 600, T0, 4 * HOUR);

  it('refuses a global view over a range holding more windows than an answer may, before reading anything', async () => {
    const { service, store, batch } = await setup({ events, horizon: T0 + 2 * HOUR, options: { limits: { maxWindows: 100 } } });
    // revenue: 10 min windows sliding by 1 min; two hours hold 129 of them.
    const err = await service.query({ view: 'revenue', from: T0, to: T0 + 2 * HOUR, mode: 'lambda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).parameter).toBe('limit');
    expect((err as Error).message).toMatch(/129 windows.*narrow from\/to/);
    expect(store.paneQueries).toEqual([]);
    expect(batch.queries).toEqual([]);
    expect(batch.snapshotReads).toBe(0);
    // One key of a keyed view is one series too.
    await expect(service.query({ view: 'product_activity', key: 'p1', from: T0, to: T0 + 2 * HOUR, mode: 'speed' })).rejects.toThrow(/120 windows/);
    expect(store.paneQueries).toEqual([]);
    // A range that fits is read and answered.
    const ok = await service.query({ view: 'revenue', from: T0, to: T0 + 90 * MIN, mode: 'lambda' });
    expect(values(ok)).toEqual(expected('revenue', events, T0, T0 + 90 * MIN));
  });

  it('bounds the reads of a query over all keys: a page, then the next from the cursor, until the whole answer', async () => {
    const { service, store, batch } = await setup({ events, horizon: T0 + 2 * HOUR, options: { limits: { maxWindows: 20 } } });
    const q = { view: 'product_activity', from: T0, to: T0 + 4 * HOUR, mode: 'lambda' as const };
    const first = await service.query(q);
    expect(first.windows.length).toBeGreaterThan(0);
    expect(first.windows.length).toBeLessThanOrEqual(20);
    expect(first.next).not.toBeNull();
    // 1-minute windows lie in one bucket: at most one pane per window and partition (2 in the speed layer).
    expect(batch.queries.map((q) => q.maxRows)).toEqual([21]);
    expect(store.paneQueries.map((q) => q.maxRows)).toEqual([41]);
    const pages = await allPages(service, q);
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.flatMap(values)).toEqual(expected('product_activity', events, q.from, q.to));
    expect(pages.at(-1)!.next).toBeNull();
    // Every page's read stayed bounded.
    expect(batch.queries.every((b) => b.maxRows === 21)).toBe(true);
    expect(store.paneQueries.every((s) => s.maxRows === 41)).toBe(true);
  });

  it('pages every view and mode to the exact answer, with or without a key', async () => {
    const { service, store } = await setup({ events, horizon: T0 + 2 * HOUR });
    await commitStream(store, 'kappa_v1', pipeline, events);
    await store.setAlias('kappa', 'kappa_v1');
    for (const view of pipeline.views) {
      for (const mode of ['lambda', 'kappa', 'speed'] as const) {
        for (const key of view.keyFields.length === 0 ? [undefined] : [undefined, view.name === 'user_sessions' ? 'u2' : 'p1']) {
          const q = { view: view.name, key, from: T0 + 30 * MIN, to: T0 + 3 * HOUR, mode, limit: 7 };
          const pages = await allPages(service, q);
          const all = expected(view.name, events, q.from, q.to, key);
          expect(pages.flatMap(values), `${view.name} ${mode} ${key}`).toEqual(all);
          expect(pages.every((p) => p.windows.length <= 7)).toBe(true);
          expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(all.length / 7));
        }
      }
    }
  });

  it('answers exactly when panes come from more partitions than have checkpoints (the bound does not hold)', async () => {
    class FewCheckpoints extends InMemoryViewStore {
      override async checkpoints(namespace: string) {
        const all = await super.checkpoints(namespace);
        return new Map([...all].slice(0, 1));
      }
    }
    const store = new FewCheckpoints();
    await commitStream(store, 'speed', pipeline, events, 4);
    const service = new QueryService({ pipeline, viewStore: store, batch: new InMemoryBatchPaneSource(), clock: () => NOW }, { limits: { maxWindows: 1_000 } });
    const from = T0;
    const to = T0 + 30 * MIN;
    const want = expected('product_activity', events, from, to);
    const pages = await allPages(service, { view: 'product_activity', from, to, mode: 'speed', limit: want.length });
    // The bounded read came back full with fewer windows than the limit: a short page, and the rest on the next ones.
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flatMap(values)).toEqual(want);
    expect(store.paneQueries.every((q) => q.maxRows === want.length + 1)).toBe(true);
  });
});

describe('QueryService over views with every measure kind', () => {
  const kinds = measureKindsPipeline();
  const events = randomEvents(11, 1_500, T0, 4 * HOUR);
  const horizon = T0 + 2 * HOUR;

  async function kindsService() {
    const store = new InMemoryViewStore();
    const batch = new InMemoryBatchPaneSource();
    batch.publish(horizon, batchPanesBefore(kinds, events, horizon));
    await commitStream(store, 'speed', kinds, events);
    return new QueryService({ pipeline: kinds, viewStore: store, batch, clock: () => NOW }, { limits: { maxWindows: 10_000 } });
  }

  it('serves in lambda mode the measures of every event folded at once: batch and speed states merged at the horizon, presented by kind', async () => {
    const service = await kindsService();
    for (const name of ['kinds_global', 'kinds_sessions', 'kinds_sliding']) {
      const view = kinds.view(name);
      const answer = await service.query({ view: name, from: T0, to: T0 + 4 * HOUR, mode: 'lambda' });
      const want = expectedWindows(kinds, name, events).map((w) => ({ key: w.key, start: iso(w.start), measures: view.aggregate.named(w.acc, w.states) }));
      expect(answer.windows.map((w) => ({ key: w.key, start: w.start, measures: w.measures })), name).toEqual(want);
      // Without `present`, a window shows its measures as they are.
      for (const w of answer.windows) expect(w.value).toEqual(w.measures);
    }
    const straddling = (await service.query({ view: 'kinds_global', from: horizon - 5 * MIN, to: horizon + 5 * MIN, mode: 'lambda' })).windows;
    expect(straddling.some((w) => w.layers.includes('batch')) && straddling.some((w) => w.layers.includes('speed'))).toBe(true);
  });

  it('refuses a top query by a measure that is not a count, sum, min or max with a 400 naming the measure', async () => {
    const service = await kindsService();
    await expect(service.top({ view: 'kinds_sessions', by: 'products', n: 3, from: T0, to: T0 + HOUR, mode: 'lambda' })).rejects.toThrow(BadRequestError);
    await expect(service.top({ view: 'kinds_sessions', by: 'top_types', n: 3, from: T0, to: T0 + HOUR, mode: 'lambda' })).rejects.toThrow(/measure top_types is a top_k; top ranks by a count, sum, min or max measure only/);
  });
});
