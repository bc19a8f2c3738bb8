import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchServedView } from '../../compare/served-windows.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { startHttpServer, type HttpServer } from '../../serving/http-server.ts';
import { QueryService } from '../../serving/query-service.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { commitStream, expectedWindows, HOUR, randomEvents, T0 } from '../serving/support/layer-fixtures.ts';

const pipeline = compilePipeline(ecommerceConfig());
const events = randomEvents(3, 400, T0, 2 * HOUR);
let server: HttpServer;

beforeAll(async () => {
  const store = new InMemoryViewStore();
  await commitStream(store, 'speed', pipeline, events);
  // Pages of 7 windows: every range below holds many more.
  const service = new QueryService({ pipeline, viewStore: store, batch: new InMemoryBatchPaneSource(), clock: () => T0 + 6 * HOUR }, { limits: { maxWindows: 7 } });
  server = await startHttpServer(service, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
});

describe('fetchServedView', () => {
  it('reads every window of a range that takes many pages, following next to the last page', async () => {
    const want = expectedWindows(pipeline, 'product_activity', events);
    expect(want.length).toBeGreaterThan(70);
    const served = await fetchServedView(server.url, 'product_activity', 'speed', T0, T0 + 2 * HOUR);
    expect(served!.requests).toBeGreaterThan(10);
    expect(served!.windows.map((w) => `${w.key}@${w.start}`).sort()).toEqual(want.map((w) => `${w.key}@${w.start}`).sort());
  });

  it('reads the whole view again when a cut-over lands between two pages (409 data_changed), so it never mixes two versions', async () => {
    const store = new InMemoryViewStore();
    const late = randomEvents(4, 400, T0, 2 * HOUR);
    await commitStream(store, 'kappa_v1', pipeline, events);
    await commitStream(store, 'kappa_v2', pipeline, late);
    await store.setAlias('kappa', 'kappa_v1');
    const service = new QueryService({ pipeline, viewStore: store, batch: new InMemoryBatchPaneSource(), clock: () => T0 + 6 * HOUR }, { limits: { maxWindows: 7 } });
    const api = await startHttpServer(service, { host: '127.0.0.1', port: 0 });
    // In front of the API: the cut-over happens as the second request (the first next page) arrives.
    let seen = 0;
    const proxy = createServer((req, res) => {
      void (async () => {
        if (++seen === 2) await store.setAlias('kappa', 'kappa_v2');
        const answer = await fetch(`${api.url}${req.url}`);
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      })();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const served = await fetchServedView(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, 'product_activity', 'kappa', T0, T0 + 2 * HOUR);
      expect(served!.kappaVersion).toBe('kappa_v2');
      const want = expectedWindows(pipeline, 'product_activity', late);
      expect(served!.windows.map((w) => `${w.key}@${w.start}`).sort()).toEqual(want.map((w) => `${w.key}@${w.start}`).sort());
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
      await api.close();
    }
  });
});
