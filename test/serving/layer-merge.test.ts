import { describe, expect, it } from 'vitest';
import type { Pane } from '../../shared/compute/pane.ts';
import { type EcommerceEvent as Event } from '../../examples/ecommerce/pipeline.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { mergeLayers, selectPanes } from '../../serving/layer-merge.ts';
import { batchPanesBefore, ev, expectedWindows, HOUR, MIN, randomEvents, T0 } from './support/layer-fixtures.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());
const H = T0 + HOUR; // the horizon in these tests: 11:00

type Events = readonly Event[];
/** Sources answer for one view; the fold produces panes of every view. */
const ofView = (name: string, panes: Pane[]) => panes.filter((p) => p.view === name);
/** The speed layer holds every event it read (it expires old buckets only later). */
const speedPanes = (name: string, events: Events) => ofView(name, foldEvents(pipeline, events));
const batchPanes = (name: string, events: Events, horizon: number) => ofView(name, batchPanesBefore(pipeline, events, horizon));
const strip = (ws: ReturnType<typeof mergeLayers>) => ws.map((w) => ({ key: w.key, start: w.start, end: w.end, acc: w.acc }));

describe('mergeLayers at the batch horizon', () => {
  it('joins the two halves of a sliding window cut by the horizon into the window of all events', () => {
    const events = [ev('purchase', 'u1', 'p1', H - 2 * MIN, 1_000), ev('purchase', 'u2', 'p2', H + 3 * MIN, 250)];
    const view = pipeline.view('revenue');
    const merged = mergeLayers(view, 'lambda', { batch: batchPanes(view.name, events, H), speed: speedPanes(view.name, events) }, H);

    expect(strip(merged)).toEqual(expectedWindows(pipeline, 'revenue', events));
    // The window [10:55, 11:05) holds both purchases, one from each layer.
    const straddling = merged.find((w) => w.start === H - 5 * MIN)!;
    expect(view.aggregate.named(straddling.acc)).toEqual({ revenue_cents: 1_250, orders: 2 });
    expect(straddling.tags).toEqual(['batch', 'speed']);
    expect(merged.find((w) => w.end === H)!.tags).toEqual(['batch']);
    expect(merged.find((w) => w.start === H)!.tags).toEqual(['speed']);
  });

  it('returns a session cut by the horizon as one session, equal to the session of all events', () => {
    const events = [ev('page_view', 'u1', 'p1', H - 10 * MIN), ev('purchase', 'u1', 'p1', H + 5 * MIN, 500), ev('page_view', 'u1', 'p1', H + 20 * MIN)];
    const view = pipeline.view('user_sessions');
    const merged = mergeLayers(view, 'lambda', { batch: batchPanes(view.name, events, H), speed: speedPanes(view.name, events) }, H);

    expect(merged).toHaveLength(1);
    expect(strip(merged)).toEqual(expectedWindows(pipeline, 'user_sessions', events));
    expect(merged[0]).toMatchObject({ start: H - 10 * MIN, end: H + 50 * MIN, tags: ['batch', 'speed'] });
    expect(view.aggregate.named(merged[0].acc)).toMatchObject({ events: 3, purchases: 1, revenue_cents: 500 });
  });

  it('takes panes of the horizon bucket from speed and panes below it from batch, whatever else each layer holds', () => {
    const view = pipeline.view('product_activity');
    const pane = (bucket: number, views: number): Pane => ({ view: view.name, key: 'p1', start: bucket, end: bucket + MIN, bucket, acc: [views, 0, 0, 0] });
    // Distinct counts per layer make the origin of each window visible.
    const batch = [pane(H - HOUR, 1), pane(H, 100)];
    const speed = [pane(H - HOUR, 1_000), pane(H, 10_000)];
    const merged = mergeLayers(view, 'lambda', { batch, speed }, H);

    expect(merged.map((w) => ({ start: w.start, views: w.acc[0], tags: w.tags }))).toEqual([
      { start: H - HOUR, views: 1, tags: ['batch'] },
      { start: H, views: 10_000, tags: ['speed'] },
    ]);
  });

  it('serves one layer whole in batch, speed and kappa modes', () => {
    const view = pipeline.view('product_activity');
    const pane = (bucket: number, views: number): Pane => ({ view: view.name, key: 'p1', start: bucket, end: bucket + MIN, bucket, acc: [views, 0, 0, 0] });
    const layers = { batch: [pane(H - HOUR, 1), pane(H, 100)], speed: [pane(H - HOUR, 1_000), pane(H, 10_000)] };
    const viewsOf = (mode: 'batch' | 'speed' | 'kappa') => mergeLayers(view, mode, layers, H).map((w) => [w.acc[0], w.tags]);

    expect(viewsOf('batch')).toEqual([[1, ['batch']]]);
    expect(viewsOf('speed')).toEqual([[1_000, ['speed']], [10_000, ['speed']]]);
    expect(viewsOf('kappa')).toEqual(viewsOf('speed'));
  });

  it('serves speed alone in lambda mode and nothing in batch mode before the first batch', () => {
    const events = [ev('purchase', 'u1', 'p1', T0 + MIN, 100)];
    const view = pipeline.view('revenue');
    const layers = { batch: speedPanes(view.name, events), speed: speedPanes(view.name, events) };

    expect(mergeLayers(view, 'lambda', layers, null).every((w) => w.tags.join() === 'speed')).toBe(true);
    expect(strip(mergeLayers(view, 'lambda', layers, null))).toEqual(expectedWindows(pipeline, 'revenue', events));
    expect(selectPanes('batch', layers, null)).toEqual([]);
  });

  it('gives the windows of all events for every horizon and view (random events)', () => {
    const events = randomEvents(7, 400, T0, 5 * HOUR);
    for (const view of pipeline.views) {
      const speed = speedPanes(view.name, events);
      const expected = expectedWindows(pipeline, view.name, events);
      for (let h = T0 - HOUR; h <= T0 + 6 * HOUR; h += HOUR) {
        const merged = mergeLayers(view, 'lambda', { batch: batchPanes(view.name, events, h), speed }, h);
        expect(strip(merged), `${view.name} at horizon ${new Date(h).toISOString()}`).toEqual(expected);
      }
    }
  });
});
