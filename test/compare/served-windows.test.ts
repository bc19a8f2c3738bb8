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
});
