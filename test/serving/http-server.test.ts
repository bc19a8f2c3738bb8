import { afterEach, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { ServiceUnavailableError } from '../../shared/errors.ts';
import type { BatchPaneSource } from '../../serving/batch-pane-source.ts';
import { startHttpServer, type HttpServer, type HttpServerOptions } from '../../serving/http-server.ts';
import { servingMetrics } from '../../serving/serving-metrics.ts';
import { servingReadiness } from '../../serving/serving-readiness.ts';
import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import { QueryService } from '../../serving/query-service.ts';
import { WindowExplainer } from '../../serving/window-explainer.ts';
import { InMemoryBatchPaneSource } from '../support/in-memory-batch-pane-source.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { batchPanesBefore, commitStream, ev, HOUR, MIN, T0 } from './support/layer-fixtures.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());
const H = T0 + HOUR;
const events = [ev('purchase', 'u1', 'p1', H - 2 * MIN, 1_000), ev('purchase', 'u2', 'p2', H + 3 * MIN, 250), ev('page_view', 'u1', 'p1', H + 4 * MIN)];

/** A parsed JSON body, loosely typed: the tests assert its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server on a free port over in-memory layers holding `events`, batch published at H. */
async function serve(batch?: BatchPaneSource, extra: (service: QueryService, store: InMemoryViewStore) => Partial<HttpServerOptions> = () => ({})) {
  const store = new InMemoryViewStore();
  await commitStream(store, 'speed', pipeline, events);
  const published = new InMemoryBatchPaneSource();
  published.publish(H, batchPanesBefore(pipeline, events, H));
  const internal: unknown[] = [];
  const service = new QueryService({ pipeline, viewStore: store, batch: batch ?? published, clock: () => T0 + 3 * HOUR });
  server = await startHttpServer(service, { host: '127.0.0.1', port: 0, onInternalError: (err) => internal.push(err), ...extra(service, store) });
  const get = async (path: string) => {
    const res = await fetch(`${server!.url}${path}`);
    return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
  };
  const text = async (path: string) => (await fetch(`${server!.url}${path}`)).text();
  return { get, text, internal };
}

describe('HTTP API', () => {
  it('answers a Lambda query across the horizon', async () => {
    const { get } = await serve();
    const from = new Date(H - 5 * MIN).toISOString();
    const r = await get(`/v1/views/revenue?from=${from}&to=${H - 4 * MIN}`);

    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ view: 'revenue', mode: 'lambda', key: null, from, to: new Date(H - 4 * MIN).toISOString(), batchHorizon: new Date(H).toISOString() });
    // [10:55, 11:05) holds the purchase before the horizon (batch) and the one after (speed).
    const straddling = r.body.windows.find((w: { start: string }) => w.start === from);
    expect(straddling).toEqual({ key: '*', start: from, end: new Date(H + 5 * MIN).toISOString(), layers: ['batch', 'speed'], value: { revenue: 12.5, orders: 2 }, measures: { revenue_cents: 1250, orders: 2 }, final: false });
  });

  it('refuses a port in use with what to do', async () => {
    await serve();
    const port = Number(new URL(server!.url).port);
    const service = new QueryService({ pipeline, viewStore: new InMemoryViewStore(), batch: new InMemoryBatchPaneSource() });
    await expect(startHttpServer(service, { host: '127.0.0.1', port })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use (another lk serve or lk run?): give another --port (or LK_PORT), 0 for a free one`);
  });

  it('lists views, reports status and health', async () => {
    const { get } = await serve();
    expect((await get('/health')).body).toEqual({ status: 'ok' });
    const views = await get('/v1/views');
    expect(views.body.views.map((v: { name: string; window: string }) => `${v.name}: ${v.window}`)).toEqual([
      'product_activity: tumbling 1m',
      'revenue: sliding 10m every 1m',
      'user_sessions: session gap 30m',
    ]);
    const status = await get('/v1/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ batchHorizon: new Date(H).toISOString(), kappa: { alias: 'kappa', namespace: null } });
    expect(status.body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['speed']);
  });

  it('answers bad parameters with 400 naming the parameter', async () => {
    const { get } = await serve();
    const cases: Array<[string, string]> = [
      ['/v1/views/revenue?from=yesterday', 'from'],
      ['/v1/views/revenue?mode=hybrid', 'mode'],
      ['/v1/views/revenue?from=2026-01-01T10:00:00Z&to=2026-01-01T09:00:00Z', 'to'],
      ['/v1/views/revenue?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['/v1/views/revenue?limit=0', 'limit'],
      ['/v1/views/revenue?cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['/v1/views/revenue?cursor=a%20b', 'cursor'],
      ['/v1/views/product_activity/top', 'by'],
      ['/v1/views/product_activity/top?by=clicks', 'by'],
      ['/v1/views/product_activity/top?by=views&n=0', 'n'],
      ['/v1/views/product_activity/top?by=views&key=p1', 'key'],
      ['/v1/views/revenue/top?by=orders', 'view'],
      ['/v1/views/revenue?mode=speed&mode=batch', 'mode'],
      ['/v1/views/revenue?form=2026-01-01T10:00:00Z', 'form'],
    ];
    for (const [path, parameter] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.error, path).toMatchObject({ code: 'invalid_parameter', parameter });
      expect(r.body.error.message.length, path).toBeGreaterThan(parameter.length + 10);
    }
  });

  it('explains a window: its layers, horizon and the too-late events in it; bad parameters are 400s through the shared mapping', async () => {
    // A page view of p1 in [H + 4 min, H + 5 min) the stream found too late (the fixture's events are all on time).
    const tooLate = { ...events[2], event_id: 'late-1', event_time: H + 4 * MIN + 30_000 };
    const explainer = (service: QueryService) => new WindowExplainer({ service, pipeline, lateRecords: async () => [{ event: tooLate, sourcePartition: 1, sourceOffset: 42, lateBefore: H + 20 * MIN }] });
    const { get } = await serve(undefined, (service) => ({ explainer: explainer(service) }));
    const ok = await get(`/v1/explain/product_activity?key=p1&start=${new Date(H + 4 * MIN).toISOString()}&mode=speed`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ view: 'product_activity', key: 'p1', mode: 'speed', start: new Date(H + 4 * MIN).toISOString(), end: new Date(H + 5 * MIN).toISOString() });
    expect(ok.body.served).toMatchObject({ layers: ['speed'], measures: { views: 1 }, batchHorizon: new Date(H).toISOString() });
    expect(ok.body.tooLate).toEqual([{ eventId: 'late-1', partition: 1, offset: 42, eventTime: new Date(H + 4 * MIN + 30_000).toISOString(), lateBefore: new Date(H + 20 * MIN).toISOString(), lateByMs: 15.5 * MIN, counted: false }]);
    // No master dataset reader: the truth and the duplicates are not known, and the answer says why.
    expect(ok.body.truth).toEqual({ known: false, reason: 'the master dataset is not available here' });
    expect(ok.body.duplicates.ids).toBeNull();
    // A global view's window takes no key.
    expect((await get(`/v1/explain/revenue?start=${new Date(H).toISOString()}`)).body.served.layers).toEqual(['speed']);

    const cases: Array<[string, string]> = [
      ['/v1/explain/product_activity?key=p1', 'start'],
      ['/v1/explain/product_activity?key=p1&start=yesterday', 'start'],
      ['/v1/explain/product_activity?key=p1&start=2026-01-01T11:04:30Z', 'start'],
      ['/v1/explain/product_activity?key=p1&start=2026-01-01T11:04:00Z&mode=hybrid', 'mode'],
      ['/v1/explain/product_activity?start=2026-01-01T11:04:00Z', 'key'],
      ['/v1/explain/revenue?key=p1&start=2026-01-01T11:04:00Z', 'key'],
      ['/v1/explain/product_activity?key=p1&start=2026-01-01T11:04:00Z&form=x', 'form'],
      ['/v1/explain/product_activity?key=p1&start=1&start=2', 'start'],
    ];
    for (const [path, parameter] of cases) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.error, path).toMatchObject({ code: 'invalid_parameter', parameter });
    }
    expect((await get('/v1/explain/nope?start=0')).body.error.code).toBe('unknown_view');
    const doc = await get('/openapi.json');
    const params = Object.fromEntries((doc.body.paths['/v1/explain/{view}'].get.parameters as Json[]).map((p) => [p.name, p]));
    expect(Object.keys(params)).toEqual(['view', 'key', 'start', 'mode']);
    expect(params.start.required).toBe(true);
    expect(new RegExp(params.start.schema.pattern as string).test('yesterday')).toBe(false);
  });

  it('answers the explain route with 404 when started without an explainer', async () => {
    const { get } = await serve();
    const r = await get(`/v1/explain/product_activity?key=p1&start=${H}`);
    expect(r.status).toBe(404);
    expect(r.body.error.message).toContain('lk explain');
  });

  it('pages past the limit with an opaque cursor that carries the query', async () => {
    const { get } = await serve();
    const q = `from=${H - 5 * MIN}&to=${H + 5 * MIN}`;
    const whole = await get(`/v1/views/revenue?${q}`);
    expect(whole.body.next).toBeNull();
    expect(whole.body.windows.length).toBeGreaterThan(6);
    const seen: Json[] = [];
    let page = await get(`/v1/views/revenue?${q}&limit=3`);
    const cursor = page.body.next as string;
    for (;;) {
      expect(page.status).toBe(200);
      expect(page.body.windows.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.windows);
      if (page.body.next === null) break;
      page = await get(`/v1/views/revenue?cursor=${page.body.next}&limit=3`);
    }
    expect(seen).toEqual(whole.body.windows);
    // A cursor continues its own query: a parameter that contradicts it is refused, one that repeats it is not.
    expect((await get(`/v1/views/revenue?cursor=${cursor}&to=now`)).body.error).toMatchObject({ parameter: 'to' });
    expect((await get(`/v1/views/revenue?cursor=${cursor}&mode=lambda&from=${H - 5 * MIN}`)).status).toBe(200);
    expect((await get(`/v1/views/product_activity?cursor=${cursor}`)).body.error).toMatchObject({ parameter: 'cursor' });
  });

  it('refuses a page of a cursor after a publish (409: restart from the first page), and pages again from the first one', async () => {
    const published = new InMemoryBatchPaneSource();
    published.publish(H, batchPanesBefore(pipeline, events, H));
    const { get } = await serve(published);
    const q = `from=${H - 5 * MIN}&to=${H + 5 * MIN}&limit=3`;
    const first = await get(`/v1/views/revenue?${q}`);
    expect(first.body.batchRun).toBe('run-1');
    expect((await get(`/v1/views/revenue?cursor=${first.body.next}&limit=3`)).status).toBe(200);
    // The same batch published again by another run: its pages are not the first page's.
    published.publish(H, batchPanesBefore(pipeline, events, H));
    const stale = await get(`/v1/views/revenue?cursor=${first.body.next}&limit=3`);
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'data_changed' });
    expect(stale.body.error.message).toMatch(/run run-1, now run-2.*restart from the first page/);
    const again = await get(`/v1/views/revenue?${q}`);
    expect(again.body.batchRun).toBe('run-2');
    expect((await get(`/v1/views/revenue?cursor=${again.body.next}&limit=3`)).status).toBe(200);
    // Speed mode reads no batch: its cursor pages on.
    const speed = await get(`/v1/views/revenue?${q}&mode=speed`);
    published.publish(H, batchPanesBefore(pipeline, events, H));
    expect((await get(`/v1/views/revenue?cursor=${speed.body.next}&limit=3`)).status).toBe(200);
  });

  it('ranks the top keys by a measure in every mode', async () => {
    const { get } = await serve();
    const r = await get(`/v1/views/product_activity/top?by=revenue_cents&n=1&from=${H - HOUR}&to=${H + HOUR}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ view: 'product_activity', mode: 'lambda', by: 'revenue_cents', n: 1, batchHorizon: new Date(H).toISOString() });
    // p1: one purchase of 10.00 (batch); p2: one of 2.50 (speed).
    expect(r.body.keys).toEqual([{ key: 'p1', value: expect.objectContaining({ purchases: 1, views: 1 }), windows: 2, layers: ['batch', 'speed'] }]);
    const speed = await get(`/v1/views/product_activity/top?by=revenue_cents&mode=speed&from=${H - HOUR}&to=${H + HOUR}`);
    expect(speed.body.keys.map((k: Json) => k.key)).toEqual(['p1', 'p2']);
    const batch = await get(`/v1/views/product_activity/top?by=revenue_cents&mode=batch&from=${H - HOUR}&to=${H + HOUR}`);
    expect(batch.body.keys.map((k: Json) => k.key)).toEqual(['p1']);
  });

  it('answers GET /v1/alerts per mode (none without rules) and refuses an unknown parameter', async () => {
    const { get } = await serve();
    const r = await get(`/v1/alerts?mode=batch&from=${H - HOUR}&to=${H}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ mode: 'batch', from: new Date(H - HOUR).toISOString(), to: new Date(H).toISOString(), rule: null, batchHorizon: new Date(H).toISOString(), finalBefore: null, alerts: [] });
    const bad = await get('/v1/alerts?view=revenue');
    expect(bad.status).toBe(400);
    expect(bad.body.error.parameter).toBe('view');
    expect((await get('/v1/alerts?rule=nope')).status).toBe(400);
  });

  it('publishes its parameters as OpenAPI from the schemas that check them, and answers a wrong method with 405', async () => {
    const { get } = await serve();
    const doc = await get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const params = (path: string) => Object.fromEntries((doc.body.paths[path].get.parameters as Json[]).map((p) => [p.name, p]));
    const windows = params('/v1/views/{view}');
    expect(Object.keys(windows)).toEqual(['view', 'key', 'from', 'to', 'mode', 'limit', 'cursor']);
    expect(windows.mode.schema.enum).toEqual(['lambda', 'kappa', 'batch', 'speed']);
    expect(windows.view.schema.enum).toEqual(['product_activity', 'revenue', 'user_sessions']);
    // What the document's pattern refuses, the API refuses.
    const limitPattern = new RegExp(windows.limit.schema.pattern as string);
    for (const value of ['2.5', '-1', 'ten']) {
      expect(limitPattern.test(value)).toBe(false);
      expect((await get(`/v1/views/revenue?limit=${value}`)).status).toBe(400);
    }
    expect(params('/v1/views/{view}/top').by.required).toBe(true);
    expect(Object.keys(params('/v1/alerts'))).toEqual(['from', 'to', 'mode', 'rule']);

    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${server!.url}/v1/views/revenue`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(((await res.json()) as Json).error.code).toBe('method_not_allowed');
    }
    expect((await fetch(`${server!.url}/v1/nothing`, { method: 'POST' })).status).toBe(404);
  });

  it('exposes Prometheus metrics: request latency per route, mode and status, and the state served', async () => {
    const batchInfo = { sizes: () => ({ revenue: 7 }), lastCheck: Date.now() };
    const { get, text } = await serve(undefined, (service) => ({ metrics: servingMetrics(prometheusMetrics(), service, batchInfo) }));
    await get(`/v1/views/revenue?from=${H - 5 * MIN}&to=${H}`);
    await get(`/v1/views/revenue?mode=speed&from=${H - 5 * MIN}&to=${H}`);
    await get(`/v1/views/revenue?mode=hybrid`);
    await get(`/v1/views/product_activity/top?by=views&from=${H - 5 * MIN}&to=${H}`);
    const body = await text('/metrics');
    expect(body).toContain('lk_serving_request_duration_seconds_count{route="/v1/views/:view",mode="lambda",status="200"} 1');
    expect(body).toContain('lk_serving_request_duration_seconds_count{route="/v1/views/:view",mode="speed",status="200"} 1');
    expect(body).toContain('lk_serving_request_duration_seconds_count{route="/v1/views/:view",mode="invalid",status="400"} 1');
    expect(body).toContain('lk_serving_request_duration_seconds_count{route="/v1/views/:view/top",mode="lambda",status="200"} 1');
    expect(body).toContain(`lk_batch_horizon_timestamp_seconds ${H / 1000}`);
    expect(body).toContain('lk_batch_panes{view="revenue"} 7');
    expect(body).toMatch(/lk_stream_watermark_lag_seconds\{namespace="speed"\} \d/);
    expect(body).toContain('process_cpu_user_seconds_total');
  });

  it('is ready once the batch is loaded and the view store answers, and says which check fails', async () => {
    const { get } = await serve();
    expect(await get('/ready')).toMatchObject({ status: 200, body: { ready: true } });
    await server!.close();
    let problem: string | undefined = 'the published batch is not loaded yet';
    const down = await serve(undefined, (_service, store) => {
      store.listNamespaces = async () => {
        throw new ServiceUnavailableError('PostgreSQL', 'connection refused');
      };
      return { readiness: servingReadiness({ batch: { problem: () => problem }, viewStore: store }) };
    });
    const r = await down.get('/ready');
    expect(r.status).toBe(503);
    expect(r.body.ready).toBe(false);
    expect(r.body.checks.batch).toContain('not loaded');
    expect(r.body.checks.viewStore).toContain('unavailable');
    problem = undefined;
    expect((await down.get('/ready')).body.checks.batch).toBe('ok');
  });

  it('refuses keys no event can carry (empty, NUL, too long) and a key on a global view with 400', async () => {
    const { get } = await serve();
    for (const key of ['', '%00', 'p%00', 'x'.repeat(257)]) {
      const r = await get(`/v1/views/product_activity?key=${key}`);
      expect(r.status, key).toBe(400);
      expect(r.body.error, key).toMatchObject({ code: 'invalid_parameter', parameter: 'key' });
    }
    const global = await get(`/v1/views/revenue?key=p1&from=${H - 5 * MIN}&to=${H + 5 * MIN}`);
    expect(global.status).toBe(400);
    expect(global.body.error).toMatchObject({ parameter: 'key' });
    expect(global.body.error.message).toContain('revenue is global');
    // A keyed view without a key answers every key's windows.
    const all = await get(`/v1/views/product_activity?from=${H - 5 * MIN}&to=${H + 5 * MIN}`);
    expect(all.status).toBe(200);
    expect(new Set(all.body.windows.map((w: Json) => w.key))).toEqual(new Set(['p1', 'p2']));
  });

  it('answers unknown views with 404 listing the known ones, unknown routes with 404 and malformed URLs with 400', async () => {
    const { get } = await serve();
    const r = await get('/v1/views/revenues');
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'unknown_view', views: ['product_activity', 'revenue', 'user_sessions'] });
    expect(r.body.error.message).toContain('known views: product_activity, revenue, user_sessions');

    const badUrl = await get('/v1/views/%E0%A4%A');
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.code).toBe('bad_request');

    const route = await get('/v2/things');
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe('not_found');

    const kappa = await get('/v1/views/revenue?mode=kappa');
    expect(kappa.status).toBe(404);
    expect(kappa.body.error.message).toContain('lk replay');
  });

  it('hides internal errors behind a 500 and reports unavailable services as 503', async () => {
    let failure: Error = new TypeError('secret detail at /srv/internal/path');
    const failing: BatchPaneSource = {
      snapshot: async () => {
        throw failure;
      },
    };
    const { get, internal } = await serve(failing);
    const r = await get('/v1/views/revenue');
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ error: { code: 'internal', message: 'internal error; the server log has the details' } });
    expect(internal).toEqual([failure]);

    failure = new ServiceUnavailableError('PostgreSQL', 'cannot reach postgres://lkuser@db.internal:5433/lkviews (ECONNREFUSED); start it');
    const down = await get('/v1/views/revenue');
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ code: 'service_unavailable' });
    expect(down.body.error.message).toContain('retry later');
    // The address, user and database go to the server log, not to anonymous clients.
    for (const secret of ['lkuser', 'db.internal', '5433', 'lkviews', 'PostgreSQL']) expect(JSON.stringify(down.body)).not.toContain(secret);
    expect(internal).toContain(failure);
  });
});
