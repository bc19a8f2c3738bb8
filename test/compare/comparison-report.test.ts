import { describe, expect, it } from 'vitest';
import { buildComparisonReport, formatComparisonReport } from '../../compare/comparison-report.ts';
import { computeGroundTruth } from '../../compare/ground-truth.ts';
import { mergePanes, type MergedWindow } from '../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { foldEvents } from '../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event } from '../../examples/ecommerce/pipeline.ts';
import { validateRecord } from '../support/ecommerce.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const config = ecommerceConfig();
const pipeline = compilePipeline(config);

describe('comparison report', () => {
  it('reports an exact mode, a mode that lost events and the event counts, as an object and a table', async () => {
    const w = generateWorkload({ seed: 77, events: 3_000, users: 120, duplicateFraction: 0.02, malformedFraction: 0.02 }, config);
    const truth = await computeGroundTruth(pipeline, w.records);
    // Distinct valid events, so that dropping the last 50 loses exactly 50 from every view.
    const events: Event[] = [];
    const ids = new Set<string>();
    for (const r of w.records) {
      const v = validateRecord(r.value, r.timestamp);
      if (v.ok && !ids.has(v.event.event_id)) {
        ids.add(v.event.event_id);
        events.push(v.event);
      }
    }
    const windowsOf = (evs: Event[]) => {
      const panes = foldEvents(pipeline, evs);
      const out: Record<string, MergedWindow[]> = {};
      for (const v of pipeline.views) out[v.name] = mergePanes(v, panes.filter((p) => p.view === v.name).map((pane) => ({ pane, tag: 'x' })));
      return out;
    };
    // "speed" misses the last 50 events (say, still in flight).
    const report = buildComparisonReport({
      pipeline,
      truth,
      modes: {
        kappa: { windows: windowsOf(events), freshness: { count: 3_000, p50Ms: 120, p99Ms: 1_800, maxMs: 2_400 } },
        speed: { windows: windowsOf(events.slice(0, -50)) },
      },
      tooLate: 7,
    });
    expect(report.events).toEqual({
      generated: 3_000,
      source: 'generated',
      probes: 0,
      valid: 3_000 - w.facts.malformed - w.facts.duplicates,
      deadLetter: w.facts.malformed,
      duplicate: w.facts.duplicates,
      tooLate: 7,
    });
    expect(report.modes.lambda).toBeUndefined();
    expect(report.modes.kappa!.allExact).toBe(true);
    for (const [view, c] of Object.entries(report.modes.kappa!.views)) expect(c.exact, view).toBe(truth.views[view].length);
    const speed = report.modes.speed!;
    expect(speed.allExact).toBe(false);
    expect(speed.freshness).toBeNull();
    expect(speed.views.user_sessions.absError.events).toBe(50);
    expect(speed.views.product_activity.absError.views + speed.views.product_activity.absError.carts + speed.views.product_activity.absError.purchases).toBe(50);
    expect(report.truth.views.revenue.windows).toBe(truth.views.revenue.length);

    const table = formatComparisonReport(report);
    expect(table).toContain('3,000 generated = ');
    // Probes are valid events of the run's own, counted apart from the workload's records.
    const probed = buildComparisonReport({ pipeline, truth, modes: {}, probes: 12 }).events;
    expect(probed).toMatchObject({ generated: 3_000 - 12, probes: 12, valid: 3_000 - w.facts.malformed - w.facts.duplicates });
    expect(formatComparisonReport({ ...report, events: { ...report.events, probes: 5 } })).toContain('3,000 generated + 5 probes = ');
    const read = formatComparisonReport({ ...report, events: { ...report.events, source: 'read' } });
    expect(read).toContain('3,000 read = ');
    expect(read).not.toContain('generated');
    expect(table).toContain('7 of the valid arrived too late');
    expect(table).toMatch(/^kappa\s+product_activity\s+[\d,]+\s+[\d,]+\s+\(100\.0%\)\s+0\s+0\s+0$/m);
    expect(table).toMatch(/^speed\s+product_activity/m);
    expect(table).toMatch(/events 50/);
    expect(table).toMatch(/^kappa\s+120 ms\s+1\.80 s\s+2\.40 s\s+3,000$/m);
    expect(table).toContain('kappa matches the truth exactly; speed differs from the truth.');
  });
});
