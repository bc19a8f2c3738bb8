import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { TooLateRecord } from '../../shared/compute/late-footprint.ts';
import { explainWindow, tooLateEntries, type ExplanationInput, type LoggedRecord } from '../../serving/window-explanation.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { ev, HOUR, MIN, T0 } from './support/layer-fixtures.ts';

const pipeline = compilePipeline(ecommerceConfig());
const products = pipeline.view('product_activity');
const sessions = pipeline.view('user_sessions');
const iso = (t: number) => new Date(t).toISOString();
const H = T0 + HOUR;
/** The product window [10:05, 10:06) of p1. */
const W = { start: T0 + 5 * MIN, end: T0 + 6 * MIN };
const late = (e: ReturnType<typeof ev>, offset: number, lateBefore: number): TooLateRecord => ({ event: e, sourcePartition: 0, sourceOffset: offset, lateBefore });
/** A page view as the log holds it. */
const record = (e: ReturnType<typeof ev>, partition: number, offset: number): LoggedRecord => ({
  value: JSON.stringify({ event_id: e.event_id, event_type: e.event_type, user_id: e.user_id, product_id: e.product_id, event_time: iso(e.event_time) }),
  timestamp: e.event_time + 1_000,
  partition,
  offset,
});

describe('tooLateEntries', () => {
  it('keeps the too-late events of the window and key, with how far behind their bound each was, counted only where batch serves them', () => {
    const inIt = ev('page_view', 'u1', 'p1', W.start + 10_000);
    const otherKey = ev('page_view', 'u1', 'p2', W.start + 10_000);
    const otherWindow = ev('page_view', 'u1', 'p1', W.end);
    const records = [late(inIt, 7, W.start + 40_000), late(otherKey, 8, W.start + 40_000), late(otherWindow, 9, W.start + 40_000)];
    const entries = (mode: 'speed' | 'lambda' | 'kappa' | 'batch', horizon: number | null) =>
      tooLateEntries({ pipeline, view: products, key: 'p1', window: W, mode, horizon, late: records });
    expect(entries('speed', H)).toEqual([{ eventId: inIt.event_id, partition: 0, offset: 7, eventTime: iso(W.start + 10_000), lateBefore: iso(W.start + 40_000), lateByMs: 30_000, counted: false }]);
    expect(entries('kappa', H)[0].counted).toBe(false);
    expect(entries('lambda', H)[0].counted).toBe(true);
    expect(entries('batch', H)[0].counted).toBe(true);
    // At or above the horizon Lambda serves the bucket from speed, which lacks it.
    expect(entries('lambda', T0)[0].counted).toBe(false);
    expect(entries('lambda', null)[0].counted).toBe(false);
  });

  it('counts a too-late event within a gap before a session as touching it (it would have extended it)', () => {
    const gap = (sessions.def.window as { gapMs: number }).gapMs;
    const session = { start: T0 + HOUR / 2, end: T0 + HOUR / 2 + gap + MIN };
    const before = ev('page_view', 'u1', 'p1', session.start - gap + 1);
    const tooEarly = ev('page_view', 'u1', 'p1', session.start - gap - 1);
    const found = tooLateEntries({ pipeline, view: sessions, key: 'u1', window: session, mode: 'speed', horizon: null, late: [late(before, 1, H), late(tooEarly, 2, H)] });
    expect(found.map((e) => e.eventId)).toEqual([before.event_id]);
  });
});

describe('explainWindow', () => {
  const state = { asOf: iso(T0 + 3 * HOUR), batchHorizon: iso(H), batchRun: 'run-1', kappaVersion: 'kappa_v2', watermark: iso(T0 + 2 * HOUR), finalBefore: iso(T0 + 2 * HOUR - MIN) };
  const measures = (views: number) => ({ views, carts: 0, purchases: 0, revenue_cents: 0 });
  const base = (over: Partial<ExplanationInput>): ExplanationInput => ({
    pipeline,
    view: products,
    key: 'p1',
    window: W,
    mode: 'speed',
    served: { layers: ['speed'], measures: measures(1), value: {}, final: true },
    state,
    tooLate: [],
    master: null,
    truth: { known: false, reason: 'not read' },
    ...over,
  });

  it('says the window differs from the truth by exactly the uncounted too-late events when the truth without them equals it', () => {
    const lateOne = tooLateEntries({ pipeline, view: products, key: 'p1', window: W, mode: 'speed', horizon: H, late: [late(ev('page_view', 'u1', 'p1', W.start + 1), 3, H)] });
    const x = explainWindow(base({ tooLate: lateOne, truth: { known: true, window: { ...W, measures: measures(2) }, withoutUncountedLate: measures(1) } }));
    expect(x.truth).toMatchObject({ known: true, equal: false, explainedByTooLate: true, difference: { views: -1, carts: 0 } });
    expect(x.served).toMatchObject({ layers: ['speed'], batchHorizon: iso(H), kappaVersion: 'kappa_v2', watermark: state.watermark, measures: measures(1) });
    expect(x.summary.join(' ')).toContain('Exactly the 1 too-late event(s) listed make the difference');

    // A difference beyond them is not explained by them.
    const beyond = explainWindow(base({ tooLate: lateOne, truth: { known: true, window: { ...W, measures: measures(3) }, withoutUncountedLate: measures(2) } }));
    expect(beyond.truth).toMatchObject({ equal: false, explainedByTooLate: false, difference: { views: -2 } });
    // Equal to the truth: nothing to explain.
    expect(explainWindow(base({ truth: { known: true, window: { ...W, measures: measures(1) } } })).truth).toMatchObject({ equal: true, explainedByTooLate: false });
    expect(explainWindow(base({})).truth).toEqual({ known: false, reason: 'not read' });
  });

  it('lists the ids with several master copies whose first copy is in the window, and the events only the streaming side counts so far', () => {
    const twice = ev('page_view', 'u1', 'p1', W.start + 2_000);
    const once = ev('page_view', 'u1', 'p1', W.start + 3_000);
    const elsewhere = ev('page_view', 'u1', 'p2', W.start + 4_000);
    const master = [record(twice, 1, 10), record(once, 1, 11), record(twice, 1, 12), record(elsewhere, 1, 13), record(elsewhere, 1, 14)];
    const below = explainWindow(base({ master }));
    expect(below.duplicates.ids).toEqual([{ eventId: twice.event_id, copies: 2, kept: { partition: 1, offset: 10 }, dropped: [{ partition: 1, offset: 12 }] }]);
    expect(below.duplicates.source).toContain('master dataset');
    // The window lies below the horizon: batch has every event of it.
    expect(below.notYetInBatch).toEqual({ from: iso(H), total: 0, events: [] });
    // Before the first publish every bucket is the streaming side's alone.
    const unpublished = explainWindow(base({ master, state: { ...state, batchHorizon: null } }));
    expect(unpublished.notYetInBatch.events?.map((e) => e.eventId).sort()).toEqual([twice.event_id, once.event_id].sort());
    expect(explainWindow(base({})).duplicates.ids).toBeNull();
  });

  it('says when serving has no window at that start', () => {
    const x = explainWindow(base({ served: null, truth: { known: true, window: { ...W, measures: measures(1) } } }));
    expect(x.served).toMatchObject({ layers: [], measures: null, final: false });
    expect(x.truth).toMatchObject({ equal: false, difference: null });
    expect(x.summary[0]).toBe('speed serves no window at this start.');
  });
});
