import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import payments from '../../../examples/payments/pipeline.ts';
import { generatePayments } from '../../../examples/payments/workload/generator.ts';
import { pipelineConfigOf } from '../../../shared/compute/define-pipeline.ts';
import { runExampleComparison, type ExampleComparison } from '../../support/example-comparison.ts';

const config = pipelineConfigOf(payments);
let run: ExampleComparison;

beforeAll(async () => {
  // Two and a half hours of 100 cards, more too-late events than by default so the stream layers miss some.
  run = await runExampleComparison(config, (o) => generatePayments(o, config), { seed: 9, events: 4_000, spanMs: 150 * 60_000, cards: 100, merchants: 40, tooLateFraction: 0.01 });
}, 240_000);

afterAll(async () => {
  await run?.close();
});

describe('examples/payments through Lambda and Kappa', () => {
  it('Lambda and batch equal the truth below the batch horizon', () => {
    const below = run.result.belowHorizon!;
    // Per card and per merchant, many windows; the global hourly top merchants, one an hour.
    for (const view of ['card_minute', 'card_hour', 'merchant_hour', 'top_merchants']) expect(below.modes.batch!.views[view].exact, view).toBeGreaterThan(view === 'top_merchants' ? 0 : 10);
    expect(below.modes.lambda!.allExact).toBe(true);
    expect(below.modes.batch!.allExact).toBe(true);
  });

  it('measures freshness with probes the pipeline\'s own views show', () => {
    expect(run.result.timeline.probes).toBeGreaterThan(10);
    for (const mode of ['speed', 'kappa', 'lambda'] as const) expect(run.result.freshness.perMode[mode]!.count, mode).toBeGreaterThan(10);
  });

  it('speed and Kappa equal the truth without the too-late events, which the stream counted', async () => {
    expect(run.workload.facts.tooLate).toBeGreaterThan(10);
    expect(run.result.report.events.tooLate).toBe(run.workload.facts.tooLate);
    // With them they differ: the too-late events are in the truth.
    expect(run.result.report.modes.speed!.allExact).toBe(false);
    for (const mode of ['speed', 'kappa'] as const) {
      const byView = await run.againstTruthWithoutTooLate(mode);
      for (const [view, c] of Object.entries(byView)) {
        expect(c.windows, `${mode} ${view}`).toBeGreaterThan(view === 'top_merchants' ? 1 : 10);
        expect(c, `${mode} ${view}`).toMatchObject({ exact: c.windows, missing: 0, extra: 0 });
      }
    }
  });
});
