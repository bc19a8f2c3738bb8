import { describe, expect, it } from 'vitest';
import { compareAlerts } from '../../compare/compare-alerts.ts';
import { buildComparisonReport } from '../../compare/comparison-report.ts';
import { computeGroundTruth } from '../../compare/ground-truth.ts';
import { mergePanes, type MergedWindow } from '../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event } from '../../examples/ecommerce/pipeline.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { ev, MIN, T0 } from '../serving/support/layer-fixtures.ts';

// Two page views of one product in one minute raise an alert.
const pipeline = compilePipeline(ecommerceConfig({ alerts: [{ name: 'busy_product', view: 'product_activity', when: 'views >= 2' }] }));

// Three busy product minutes: p1 at 10:00, p2 at 10:05, p3 at 10:10.
const busyP1 = [ev('page_view', 'u1', 'p1', T0 + 1_000), ev('page_view', 'u2', 'p1', T0 + 2_000)];
const busyP2 = [ev('page_view', 'u1', 'p2', T0 + 5 * MIN + 1_000), ev('page_view', 'u3', 'p2', T0 + 5 * MIN + 9_000)];
const busyP3 = [ev('page_view', 'u4', 'p3', T0 + 10 * MIN), ev('page_view', 'u4', 'p3', T0 + 10 * MIN + 30_000)];
const quiet = [ev('page_view', 'u5', 'p4', T0 + 3 * MIN)];
const all = [...busyP1, ...busyP2, ...busyP3, ...quiet];

function windowsOf(events: readonly Event[]): Record<string, MergedWindow[]> {
  const panes = foldEvents(pipeline, events);
  const out: Record<string, MergedWindow[]> = {};
  for (const v of pipeline.views) out[v.name] = mergePanes(v, panes.filter((p) => p.view === v.name).map((pane) => ({ pane, tag: 'x' })));
  return out;
}

// As a producer writes them: a page view carries no quantity (the fixtures' 0 is the fold's view of it).
const truth = () => computeGroundTruth(pipeline, all.map((e, i) => ({ partition: 0, offset: i, timestamp: e.event_time, value: JSON.stringify({ ...e, quantity: null }) })));
const id = (key: string, start: number) => JSON.stringify(['busy_product', 'product_activity', key, start]);

describe('compareAlerts', () => {
  it('matches a mode that has every event, and names what a mode that lost events missed, and why', async () => {
    const t = await truth();
    const exact = compareAlerts(pipeline, windowsOf(all), t.views);
    expect(exact).toEqual({ truth: 3, found: 3, matched: 3, missed: [], missedCount: 0, extra: [], extraCount: 0 });

    // The stream lost one of p2's views (too late: its window has one view) and both of p3's (no window at all).
    const lossy = compareAlerts(pipeline, windowsOf([...busyP1, busyP2[0], ...quiet]), t.views);
    expect(lossy).toEqual({
      truth: 3,
      found: 1,
      matched: 1,
      missed: [
        { id: id('p2', T0 + 5 * MIN), rule: 'busy_product', key: 'p2', start: T0 + 5 * MIN, reason: 'window_differs' },
        { id: id('p3', T0 + 10 * MIN), rule: 'busy_product', key: 'p3', start: T0 + 10 * MIN, reason: 'window_missing' },
      ],
      missedCount: 2,
      extra: [],
      extraCount: 0,
    });
  });

  it('counts an alert the truth does not raise as extra (a window with a repeat counted twice)', async () => {
    const t = await truth();
    const doubled = compareAlerts(pipeline, windowsOf([...all, { ...quiet[0], event_id: 'copy' }]), t.views);
    expect(doubled.extra).toEqual([{ id: id('p4', T0 + 3 * MIN), rule: 'busy_product', key: 'p4', start: T0 + 3 * MIN, reason: 'window_differs' }]);
    expect(doubled.found).toBe(4);
  });

  it('is part of the comparison report, per mode, only when the pipeline declares rules', async () => {
    const t = await truth();
    const report = buildComparisonReport({ pipeline, truth: t, modes: { speed: { windows: windowsOf(busyP1) }, batch: { windows: windowsOf(all) } } });
    expect(report.modes.speed!.alerts).toMatchObject({ truth: 3, found: 1, missedCount: 2 });
    expect(report.modes.batch!.alerts).toMatchObject({ truth: 3, found: 3, missedCount: 0 });
    const plain = compilePipeline(ecommerceConfig());
    const without = buildComparisonReport({ pipeline: plain, truth: await computeGroundTruth(plain, []), modes: { batch: { windows: {} } } });
    expect(without.modes.batch!.alerts).toBeUndefined();
  });
});
