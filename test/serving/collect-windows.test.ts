import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { collectWindows } from '../../serving/collect-windows.ts';
import type { LayerPanes } from '../../serving/layer-merge.ts';
import { ev, expectedWindows, HOUR, MIN, T0 } from './support/layer-fixtures.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());

/** A fetch over fixed speed panes that records the ranges asked for, as a view store would answer. */
function speedFetch(viewName: string, events: Parameters<typeof foldEvents>[1]) {
  const panes = foldEvents(pipeline, events).filter((p) => p.view === viewName);
  const ranges: Array<[number, number]> = [];
  const fetch = async (from: number, to: number): Promise<LayerPanes> => {
    ranges.push([from, to]);
    return { batch: [], speed: panes.filter((p) => p.end > from && p.start < to) };
  };
  return { fetch, ranges };
}

const request = (viewName: string, from: number, to: number) => ({
  view: pipeline.view(viewName),
  mode: 'speed' as const,
  horizon: null,
  from,
  to,
  maxPanes: 10_000,
  tooManyPanes: () => new Error('too many panes'),
});

describe('collectWindows', () => {
  it('returns a whole session when the range only touches its last hour (fragments far outside the range)', async () => {
    // One user active every 20 minutes for five hours: one session, one fragment per bucket.
    const events = Array.from({ length: 16 }, (_, i) => ev('page_view', 'u1', 'p1', T0 + i * 20 * MIN));
    const { fetch, ranges } = speedFetch('user_sessions', events);
    const from = T0 + 5 * HOUR;
    const windows = await collectWindows(request('user_sessions', from, from + 10 * MIN), fetch);

    expect(windows.map((w) => ({ key: w.key, start: w.start, end: w.end, acc: w.acc }))).toEqual(expectedWindows(pipeline, 'user_sessions', events));
    expect(windows[0]).toMatchObject({ start: T0, end: T0 + 5 * HOUR + 30 * MIN });
    expect(ranges.length).toBeGreaterThan(2);
  });

  it('leaves out sessions that do not overlap the range, and fetches fixed windows once', async () => {
    const events = [ev('page_view', 'u1', 'p1', T0), ev('page_view', 'u2', 'p1', T0 + 2 * HOUR)];
    const sessions = speedFetch('user_sessions', events);
    const got = await collectWindows(request('user_sessions', T0 + HOUR, T0 + 3 * HOUR), sessions.fetch);
    expect(got.map((w) => w.key)).toEqual(['u2']);

    const fixed = speedFetch('product_activity', events);
    const windows = await collectWindows(request('product_activity', T0, T0 + MIN), fixed.fetch);
    expect(windows.map((w) => [w.start, w.acc[0]])).toEqual([[T0, 1]]);
    expect(fixed.ranges).toEqual([[T0, T0 + MIN]]);
  });

  it('stops with the caller\'s error when the range holds too many panes', async () => {
    const events = Array.from({ length: 50 }, (_, i) => ev('page_view', 'u1', `p${i}`, T0 + i * 1000));
    const { fetch } = speedFetch('product_activity', events);
    await expect(collectWindows({ ...request('product_activity', T0, T0 + HOUR), maxPanes: 10 }, fetch)).rejects.toThrow('too many panes');
  });
});
