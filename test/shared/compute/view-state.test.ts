import { describe, expect, it } from 'vitest';
import { compilePipeline, defaultPipelineConfig } from '../../../shared/compute/pipeline.ts';
import { ViewState } from '../../../shared/compute/view-state.ts';
import type { Event, EventType } from '../../../shared/model/event.ts';
import { bucketOf, HOUR_MS, isBucketOpen } from '../../../shared/time/bucket.ts';
import { reachOf } from '../../../shared/time/window.ts';

const MIN = 60_000;
const GAP = 30 * MIN;
const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(defaultPipelineConfig());
let n = 0;
const ev = (t: number, type: EventType = 'page_view', user = 'u1', product = 'p1'): Event => ({
  event_id: `e${n++}`,
  event_type: type,
  user_id: user,
  product_id: product,
  price_cents: type === 'page_view' ? 0 : 1_000,
  quantity: type === 'page_view' ? 0 : 1,
  event_time: t,
  session_id: null,
});
const add = (s: ViewState, ...events: Event[]) => events.forEach((e) => s.add(e, bucketOf(e.event_time)));
const shape = (panes: { start: number; end: number; acc: number[] }[]) => panes.map((p) => [p.start, p.end, p.acc[0]]).sort((a, b) => a[0] - b[0]);

describe('ViewState, fixed windows', () => {
  it('folds an event into every window it belongs to and reports each once', () => {
    const s = new ViewState(pipeline.view('revenue'));
    add(s, ev(T + 30_000, 'purchase'), ev(T + 40_000, 'purchase'));
    const { upserts, deletes } = s.drain();
    expect(upserts).toHaveLength(10);
    expect(upserts.every((p) => p.acc[1] === 2 && p.acc[0] === 2_000)).toBe(true);
    expect(deletes).toEqual([]);
  });

  it('reports only panes changed since the last drain', () => {
    const s = new ViewState(pipeline.view('product_activity'));
    add(s, ev(T), ev(T + MIN));
    s.drain();
    add(s, ev(T + MIN + 1));
    expect(s.drain().upserts.map((p) => [p.start, p.acc[0]])).toEqual([[T + MIN, 2]]);
    expect(s.drain()).toEqual({ upserts: [], deletes: [] });
  });

  it('hands out copies: changing a drained pane changes nothing inside', () => {
    const s = new ViewState(pipeline.view('product_activity'));
    add(s, ev(T));
    s.drain().upserts[0].acc[0] = 1_000;
    add(s, ev(T + 1));
    expect(s.drain().upserts[0].acc[0]).toBe(2);
  });

  it('keeps one pane per bucket for a window that straddles a bucket boundary', () => {
    const s = new ViewState(pipeline.view('revenue'));
    add(s, ev(T - MIN, 'purchase'), ev(T + MIN, 'purchase'));
    const straddling = s.drain().upserts.filter((p) => p.start === T - 5 * MIN);
    expect(straddling.map((p) => [p.bucket, p.acc[1]]).sort()).toEqual([
      [T - HOUR_MS, 1],
      [T, 1],
    ]);
  });

  it('continues from restored panes', () => {
    const s = new ViewState(pipeline.view('product_activity'));
    add(s, ev(T), ev(T + 1));
    const stored = s.drain().upserts;
    const resumed = new ViewState(pipeline.view('product_activity'));
    for (const p of stored) resumed.restore(p);
    add(resumed, ev(T + 2));
    expect(resumed.drain().upserts.map((p) => p.acc[0])).toEqual([3]);
  });
});

describe('ViewState, sessions', () => {
  const sessions = () => new ViewState(pipeline.view('user_sessions'));

  it('reports a delete of the retired pane and an upsert of the merged one when an event bridges two sessions', () => {
    const s = sessions();
    add(s, ev(T), ev(T + 45 * MIN));
    expect(shape(s.drain().upserts)).toEqual([
      [T, T + GAP, 1],
      [T + 45 * MIN, T + 75 * MIN, 1],
    ]);
    add(s, ev(T + 20 * MIN));
    const { upserts, deletes } = s.drain();
    expect(shape(upserts)).toEqual([[T, T + 75 * MIN, 3]]);
    // The merged session keeps the id (start) of the first one, so only the second is deleted.
    expect(deletes).toEqual([{ view: 'user_sessions', key: 'u1', start: T + 45 * MIN, bucket: T }]);
  });

  it('deletes the old id when an earlier event moves a session start', () => {
    const s = sessions();
    add(s, ev(T + 20 * MIN));
    s.drain();
    add(s, ev(T + 5 * MIN));
    const { upserts, deletes } = s.drain();
    expect(shape(upserts)).toEqual([[T + 5 * MIN, T + 50 * MIN, 2]]);
    expect(deletes).toEqual([{ view: 'user_sessions', key: 'u1', start: T + 20 * MIN, bucket: T }]);
  });

  it('merges sessions of one key only, leaving another key session at the same time alone', () => {
    const s = sessions();
    add(s, ev(T), ev(T + 40 * MIN), ev(T + 20 * MIN, 'page_view', 'u2'));
    add(s, ev(T + 25 * MIN, 'page_view', 'u1'));
    const { upserts } = s.drain();
    expect(upserts.filter((p) => p.key === 'u1').map((p) => [p.start, p.end, p.acc[0]])).toEqual([[T, T + 70 * MIN, 3]]);
    expect(upserts.filter((p) => p.key === 'u2')).toHaveLength(1);
  });

  it('reports nothing for a session created and merged away between drains, only its final form', () => {
    const s = sessions();
    add(s, ev(T + 10 * MIN), ev(T + 50 * MIN), ev(T + 30 * MIN));
    const { upserts, deletes } = s.drain();
    expect(shape(upserts)).toEqual([[T + 10 * MIN, T + 80 * MIN, 3]]);
    // Deleting a never-stored id is harmless; what matters is that the merged id is not deleted.
    expect(deletes.some((d) => d.start === T + 10 * MIN)).toBe(false);
  });

  it('restores sessions and merges new events into them', () => {
    const s = sessions();
    add(s, ev(T), ev(T + 45 * MIN));
    const stored = s.drain().upserts;
    const resumed = sessions();
    for (const p of stored) resumed.restore(p);
    add(resumed, ev(T + 25 * MIN));
    const { upserts, deletes } = resumed.drain();
    expect(shape(upserts)).toEqual([[T, T + 75 * MIN, 3]]);
    expect(deletes.map((d) => d.start)).toEqual([T + 45 * MIN]);
  });
});

describe('ViewState eviction', () => {
  it('keeps a bucket open until nothing of it can change, then drops it', () => {
    const s = new ViewState(pipeline.view('revenue'));
    add(s, ev(T, 'purchase'));
    s.drain();
    const reach = 10 * MIN;
    expect(reachOf(pipeline.view('revenue').def.window)).toBe(reach);
    expect(isBucketOpen(T, HOUR_MS, reach, T + HOUR_MS + reach)).toBe(false);
    expect(isBucketOpen(T, HOUR_MS, reach, T + HOUR_MS + reach - 1)).toBe(true);
    s.evict(T + HOUR_MS + reach - 1, HOUR_MS);
    expect(s.openPanes).toBe(10);
    s.evict(T + HOUR_MS + reach, HOUR_MS);
    expect(s.openPanes).toBe(0);
  });
});
