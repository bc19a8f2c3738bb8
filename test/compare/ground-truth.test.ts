import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitionTruth } from '../../compare/definition-truth.ts';
import { computeGroundTruth as truthBy, groundTruthFromLog, type RawRecord, type TruthOracleFactory, type TruthWindow } from '../../compare/ground-truth.ts';
import { referenceTruth } from '../../compare/reference-truth.ts';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { mergePanes } from '../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event } from '../../examples/ecommerce/pipeline.ts';
import { validateRecord } from '../support/ecommerce.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import type { ShopOptions } from '../../examples/ecommerce/workload/generator.ts';
import type { WorkloadOptions } from '../../workload/workload-options.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const config = ecommerceConfig();
const pipeline = compilePipeline(config);
const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const MIN = 60_000;

/** The transform's answer over the same records: shared validator, foldEvents (dedup, no lateness limit), mergePanes. */
function foldTruth(records: readonly RawRecord[]): Record<string, TruthWindow[]> {
  const events: Event[] = [];
  for (const r of records) {
    const v = validateRecord(r.value, r.timestamp, config.limits);
    if (v.ok) events.push(v.event);
  }
  const panes = foldEvents(pipeline, events);
  const out: Record<string, TruthWindow[]> = {};
  for (const view of pipeline.views) {
    const mine = panes.filter((p) => p.view === view.name).map((pane) => ({ pane, tag: 'fold' }));
    out[view.name] = mergePanes(view, mine).map((w) => ({ key: w.key, start: w.start, end: w.end, values: view.aggregate.named(w.acc) }));
  }
  return out;
}

const line = (o: Record<string, unknown>) => JSON.stringify({ event_type: 'page_view', product_id: 'p1', user_id: 'u1', ...o });
const rec = (o: Record<string, unknown>, timestamp = T0 + 3_600_000): RawRecord => ({ value: line(o), timestamp });

/** Both oracles: the definitions' brute force (any pipeline) and the hand-written SQL of the reference pipeline. */
const ORACLES: [string, TruthOracleFactory][] = [
  ['from the definitions', definitionTruth],
  ['hand-written SQL', referenceTruth],
];

describe.each(ORACLES)('ground truth (%s)', (_oracleName, oracle) => {
const computeGroundTruth = (p: Parameters<typeof truthBy>[0], records: Parameters<typeof truthBy>[1]) => truthBy(p, records, oracle);

describe('vs the transform\'s reference fold', () => {
  const workloads: Array<[string, Partial<WorkloadOptions & ShopOptions>]> = [
    ['defaults, small', { seed: 1, events: 6_000, spanMs: 3_600_000, users: 300, products: 60 }],
    ['every knob turned up', { seed: 2, events: 15_000, spanMs: 2 * 3_600_000, users: 400, products: 40, outOfOrderFraction: 0.2, tooLateFraction: 0.05, duplicateFraction: 0.1, malformedFraction: 0.1 }],
    // 20,000 records in ten minutes: many events per millisecond (ties) and sessions that never break.
    ['dense: ties and long sessions', { seed: 3, events: 20_000, spanMs: 10 * MIN, users: 40, products: 15, tooLateFraction: 0.02, duplicateFraction: 0.05 }],
    ['sparse: many sessions per user, across hours', { seed: 4, events: 4_000, spanMs: 12 * 3_600_000, users: 60, products: 200 }],
  ];

  it.each(workloads)('agree exactly on every window of every view (%s)', async (_, options) => {
    const { records } = generateWorkload(options, config);
    const truth = await computeGroundTruth(pipeline, records);
    const fold = foldTruth(records);
    expect(truth.uncovered).toEqual([]);
    for (const view of pipeline.views) {
      expect(truth.views[view.name].length, view.name).toBeGreaterThan(10);
      expect(truth.views[view.name], view.name).toEqual(fold[view.name]);
    }
    // The workload really exercises what it should: multi-event sessions and revenue.
    expect(truth.views.user_sessions.some((w) => (w.values.events as number) > 3)).toBe(true);
    expect(truth.views.revenue.some((w) => (w.values.revenue_cents as number) > 0)).toBe(true);
  });

  it('counts records, dead letters, duplicates and distinct events', async () => {
    const w = generateWorkload({ seed: 9, events: 5_000, users: 200, duplicateFraction: 0.05, malformedFraction: 0.05 }, config);
    const truth = await computeGroundTruth(pipeline, w.records);
    expect(truth.counts).toEqual({
      records: 5_000,
      invalid: w.facts.malformed,
      duplicate: w.facts.duplicates,
      events: 5_000 - w.facts.malformed - w.facts.duplicates,
    });
  });
});

describe('on hand-made edge cases', () => {
  it('puts an event exactly at a window end into the next window (half-open windows)', async () => {
    const truth = await computeGroundTruth(pipeline, [
      rec({ event_id: 'a', event_time: T0 + MIN - 1 }),
      rec({ event_id: 'b', event_time: T0 + MIN }),
      rec({ event_id: 'c', event_type: 'purchase', price: 19.99, quantity: 3, event_time: new Date(T0 + MIN).toISOString().replace('Z', '+00:00') }),
    ]);
    expect(truth.views.product_activity).toEqual([
      { key: 'p1', start: T0, end: T0 + MIN, values: { views: 1, carts: 0, purchases: 0, revenue_cents: 0 } },
      { key: 'p1', start: T0 + MIN, end: T0 + 2 * MIN, values: { views: 1, carts: 0, purchases: 1, revenue_cents: 5997 } },
    ]);
  });

  it.each([
    ['inside a slide', T0 + 30_000],
    ['exactly on a slide boundary', T0],
  ])('counts a purchase %s in exactly the ten sliding revenue windows that contain it', async (_, t) => {
    const truth = await computeGroundTruth(pipeline, [
      // An earlier purchase, so windows ending exactly at t exist and must not count t.
      rec({ event_id: 'early', event_type: 'purchase', price: 0.01, quantity: 1, event_time: T0 - 20 * MIN }),
      rec({ event_id: 'p', event_type: 'purchase', price: 5, quantity: 2, event_time: t }),
    ]);
    const withT = truth.views.revenue.filter((w) => (w.values.revenue_cents as number) >= 1000);
    expect(withT.map((w) => w.start)).toEqual(Array.from({ length: 10 }, (_, i) => T0 - 9 * MIN + i * MIN));
    for (const w of withT) {
      expect(w.key).toBe('*');
      expect(w.start <= t && t < w.end).toBe(true);
      expect(w.values).toEqual({ revenue_cents: 1000, orders: 1 });
    }
    expect(truth.views.revenue).toHaveLength(20);
  });

  it('splits sessions at a gap of exactly 30 minutes and keeps a gap 1 ms shorter in one session', async () => {
    const gap = 30 * MIN;
    const truth = await computeGroundTruth(pipeline, [
      rec({ event_id: '1', event_time: T0 }),
      rec({ event_id: '2', event_time: T0 + gap - 1 }),
      rec({ event_id: '3', event_time: T0 + gap - 1 }),
      rec({ event_id: '4', event_type: 'purchase', price: 1.5, quantity: 1, event_time: T0 + 2 * gap - 1 }),
    ]);
    expect(truth.views.user_sessions).toEqual([
      { key: 'u1', start: T0, end: T0 + 2 * gap - 1, values: { events: 3, purchases: 0, revenue_cents: 0, first_event_time: T0, last_event_time: T0 + gap - 1 } },
      { key: 'u1', start: T0 + 2 * gap - 1, end: T0 + 3 * gap - 1, values: { events: 1, purchases: 1, revenue_cents: 150, first_event_time: T0 + 2 * gap - 1, last_event_time: T0 + 2 * gap - 1 } },
    ]);
  });

  it('keeps the first valid copy of an event id by log order, ignoring invalid records and lateness', async () => {
    const truth = await computeGroundTruth(pipeline, [
      // Invalid (price with three decimals): never counted, and does not claim the id.
      rec({ event_id: 'x', event_type: 'purchase', price: 1.005, quantity: 1, event_time: T0 }),
      rec({ event_id: 'x', event_type: 'purchase', price: 2, quantity: 1, event_time: T0 }),
      rec({ event_id: 'x', event_type: 'purchase', price: 3, quantity: 1, event_time: T0 }),
      // Far in the past relative to the others: the truth has no lateness limit.
      rec({ event_id: 'old', event_type: 'purchase', price: 4, quantity: 1, event_time: T0 - 5 * 3_600_000 }),
      // More than a day after its append timestamp: rejected as far future.
      rec({ event_id: 'future', event_time: T0 + 2 * 86_400_000 }, T0),
      { value: '{"not json', timestamp: T0 },
    ]);
    expect(truth.counts).toEqual({ records: 6, invalid: 3, duplicate: 1, events: 2 });
    const sessions = truth.views.user_sessions;
    expect(sessions.map((s) => s.values.revenue_cents)).toEqual([400, 200]);
  });

  it('gives empty views for no records', async () => {
    const truth = await computeGroundTruth(pipeline, []);
    expect(truth.counts).toEqual({ records: 0, invalid: 0, duplicate: 0, events: 0 });
    expect(truth.views).toEqual({ product_activity: [], revenue: [], user_sessions: [] });
  });

  it('reads the view sizes from the pipeline config', async () => {
    const custom = compilePipeline(
      ecommerceConfig({
        views: ecommerceConfig().views.map((v) =>
          v.name === 'product_activity' ? { ...v, window: { kind: 'tumbling' as const, sizeMs: 5 * MIN } } : v.name === 'user_sessions' ? { ...v, window: { kind: 'session' as const, gapMs: MIN } } : v,
        ),
      }),
    );
    const truth = await computeGroundTruth(custom, [rec({ event_id: '1', event_time: T0 + 4 * MIN }), rec({ event_id: '2', event_time: T0 + 5 * MIN + 30_000 })]);
    expect(truth.views.product_activity.map((w) => [w.start, w.end])).toEqual([
      [T0, T0 + 5 * MIN],
      [T0 + 5 * MIN, T0 + 10 * MIN],
    ]);
    expect(truth.views.user_sessions).toHaveLength(2);
  });

});
});

describe('the hand-written SQL truth', () => {
  it('refuses a reference view whose window kind the truth\'s SQL was not written for', async () => {
    const wrong = compilePipeline(
      ecommerceConfig({
        views: ecommerceConfig().views.map((v) => (v.name === 'user_sessions' ? { ...v, window: { kind: 'tumbling' as const, sizeMs: MIN } } : v)),
      }),
    );
    await expect(truthBy(wrong, [], referenceTruth)).rejects.toThrow(/user_sessions.*session windows/);
  });

  it('agrees with the truth from the definitions on the reference pipeline, window for window', async () => {
    const { records } = generateWorkload({ seed: 5, events: 8_000, spanMs: 2 * 3_600_000, users: 200, products: 50, outOfOrderFraction: 0.1, tooLateFraction: 0.03, duplicateFraction: 0.05, malformedFraction: 0.05 }, config);
    const bySql = await truthBy(pipeline, records, referenceTruth);
    const byDefinition = await truthBy(pipeline, records, definitionTruth);
    expect(byDefinition).toEqual(bySql);
    expect(bySql.views.user_sessions.length).toBeGreaterThan(100);
  });
});

describe('groundTruthFromLog', () => {
  it('reads every partition of a topic and gives the same truth as the records in send order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-truth-'));
    const log = await EmbeddedLog.open(dir);
    try {
      const topic = 'truth-from-log';
      await log.ensureTopic(topic, 4);
      const w = generateWorkload({ seed: 31, events: 4_000, users: 150, duplicateFraction: 0.05, malformedFraction: 0.05, tooLateFraction: 0.02 }, config);
      for (let i = 0; i < w.records.length; i += 500) await log.append(topic, w.records.slice(i, i + 500));
      const fromLog = await groundTruthFromLog(pipeline, log, topic);
      const fromRecords = await truthBy(pipeline, w.records);
      expect(fromLog).toEqual(fromRecords);
    } finally {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
