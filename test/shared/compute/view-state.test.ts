import { describe, expect, it } from 'vitest';
import { paneIdString, type Pane, type PaneId } from '../../../shared/compute/pane.ts';
import { compilePipeline, type CompiledView } from '../../../shared/compute/pipeline.ts';
import type { ViewDef } from '../../../shared/compute/view-def.ts';
import { ViewState } from '../../../shared/compute/view-state.ts';
import { EVENT_TYPES, type EcommerceEvent as Event, type EventType } from '../../../examples/ecommerce/pipeline.ts';
import { bucketOf, HOUR_MS, isBucketOpen } from '../../../shared/time/bucket.ts';
import { reachOf } from '../../../shared/time/window.ts';
import { Random } from '../../../workload/random.ts';
import { NestedMapViewState } from '../support/nested-map-view-state.ts';
import { ecommerceConfig, ecommerceViews } from '../../support/ecommerce.ts';

const MIN = 60_000;
const GAP = 30 * MIN;
const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(ecommerceConfig());
let n = 0;
const ev = (t: number, type: EventType = 'page_view', user = 'u1', product = 'p1'): Event => ({
  event_id: `e${n++}`,
  event_type: type,
  user_id: user,
  product_id: product,
  price: type === 'page_view' ? 0 : 1_000,
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

describe('ViewState against the nested-map reference (the previous implementation)', () => {
  const BUCKET = 15 * MIN;
  // The reference views, plus windows that stress other paths: a sliding window per user (many
  // panes per key and event), a short session gap per product (many sessions, merges across keys
  // with panes in several buckets), a tumbling window longer than the bucket.
  const extra: ViewDef[] = [
    { ...ecommerceViews()[1], name: 'user_sliding', key: 'user_id', filter: undefined, window: { kind: 'sliding', sizeMs: 7 * MIN, slideMs: MIN } },
    { ...ecommerceViews()[2], name: 'product_sessions', key: 'product_id', window: { kind: 'session', gapMs: 4 * MIN } },
    { ...ecommerceViews()[0], name: 'long_tumbling', window: { kind: 'tumbling', sizeMs: 40 * MIN } },
  ];
  const p = compilePipeline(ecommerceConfig({ views: [...ecommerceViews(), ...extra], bucketMs: BUCKET }));

  /** Both implementations fed the same calls; every drain and pane count must match exactly, in order. */
  function run(view: CompiledView, seed: number) {
    const rng = new Random(seed);
    let real = new ViewState(view);
    let ref = new NestedMapViewState(view);
    const stored = new Map<string, Pane>();
    const users = rng.int(2, 12);
    const products = rng.int(2, 8);
    // Disorder large enough that sessions merge and events land in older buckets.
    const disorder = rng.pick([30_000, 5 * MIN, 40 * MIN]);
    let base = T;
    let maxT = Number.NEGATIVE_INFINITY;
    let merges = 0;
    const drainBoth = () => {
      const a = real.drain();
      const b = ref.drain();
      expect(a).toEqual(b);
      merges += a.deletes.length;
      for (const d of a.deletes) stored.delete(paneIdString(d));
      for (const u of a.upserts) stored.set(paneIdString(u), u);
    };
    for (let i = 0; i < 3_000; i++) {
      // Whole seconds, so events also fall exactly on session ends and window bounds.
      base += rng.int(0, 20) * 1_000;
      const t = base - (rng.chance(0.3) ? rng.int(0, disorder / 1_000) * 1_000 : 0);
      maxT = Math.max(maxT, t);
      const type = rng.pick(EVENT_TYPES);
      const e: Event = {
        event_id: `e${i}`,
        event_type: type,
        user_id: `u${rng.int(1, users)}`,
        product_id: `p${rng.int(1, products)}`,
        price: type === 'page_view' ? 0 : rng.int(1, 10_000),
        quantity: type === 'page_view' ? 0 : rng.int(1, 3),
        event_time: t,
        session_id: null,
      };
      if (view.accepts(e)) {
        real.add(e, bucketOf(t, BUCKET));
        ref.add(e, bucketOf(t, BUCKET));
      }
      if (rng.chance(0.05)) drainBoth();
      if (rng.chance(0.02)) {
        // Sometimes before a drain: panes evicted while changed must still be reported.
        if (rng.chance(0.5)) drainBoth();
        const lateBefore = maxT - disorder;
        real.evict(lateBefore, BUCKET);
        ref.evict(lateBefore, BUCKET);
        expect(real.openPanes).toBe(ref.openPanes);
      }
      if (rng.chance(0.004)) {
        // A restart: both resume from the stored panes still open, in a random order.
        drainBoth();
        const lateBefore = maxT - disorder;
        const open = [...stored.values()].filter((x) => isBucketOpen(x.bucket, BUCKET, reachOf(view.def.window), lateBefore));
        for (let j = open.length - 1; j > 0; j--) {
          const k = rng.int(0, j);
          [open[j], open[k]] = [open[k], open[j]];
        }
        real = new ViewState(view);
        ref = new NestedMapViewState(view);
        for (const x of open) {
          real.restore(x);
          ref.restore(x);
        }
        expect(real.openPanes).toBe(ref.openPanes);
      }
    }
    drainBoth();
    return { merges };
  }

  it.each(p.views.map((v) => [v.name, v] as const))('%s: same upserts, deletes and open panes on random workloads', (_, view) => {
    let merges = 0;
    for (let seed = 1; seed <= 12; seed++) merges += run(view, seed).merges;
    // Session views must have exercised merges (deletes come only from them).
    if (view.def.window.kind === 'session') expect(merges).toBeGreaterThan(0);
  });
});

describe('ViewState: panes the store holds (inserts vs upserts)', () => {
  const sessions = pipeline.view('user_sessions');
  const drainAll = (s: ViewState) => s.drain({ inserts: [] as Pane[], upserts: [] as Pane[], deletes: [] as PaneId[] });
  const starts = (panes: readonly { start: number }[]) => panes.map((p) => p.start);

  it('drains a pane as an insert once, then as an upsert; a merged session keeping a stored id is an upsert', () => {
    const s = new ViewState(sessions);
    add(s, ev(T));
    let d = drainAll(s);
    expect([starts(d.inserts), starts(d.upserts)]).toEqual([[T], []]);
    add(s, ev(T + 10_000));
    d = drainAll(s);
    expect([starts(d.inserts), starts(d.upserts)]).toEqual([[], [T]]);
    add(s, ev(T + GAP + 20_000));
    d = drainAll(s);
    expect([starts(d.inserts), starts(d.upserts)]).toEqual([[T + GAP + 20_000], []]);
    // Bridges both sessions: the merged one starts at T, the stored id of the first, whose row it
    // replaces (an update); the second's row is deleted.
    add(s, ev(T + GAP + 5_000));
    d = drainAll(s);
    expect([starts(d.inserts), starts(d.upserts), starts(d.deletes)]).toEqual([[], [T], [T + GAP + 20_000]]);
  });

  it('a merge into a new start is an insert; restored panes are upserts', () => {
    const s = new ViewState(sessions);
    add(s, ev(T + 10_000));
    drainAll(s);
    // An earlier event extends the stored session backwards: a new id (start T), the old one deleted.
    add(s, ev(T));
    let d = drainAll(s);
    expect([starts(d.inserts), starts(d.upserts), starts(d.deletes)]).toEqual([[T], [], [T + 10_000]]);

    const restored = new ViewState(sessions);
    for (const p of d.inserts) restored.restore(p);
    add(restored, ev(T + 20_000));
    d = drainAll(restored);
    expect([starts(d.inserts), starts(d.upserts)]).toEqual([[], [T]]);
  });
});
