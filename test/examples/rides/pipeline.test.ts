import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rides from '../../../examples/rides/pipeline.ts';
import { generatePings } from '../../../examples/rides/workload/generator.ts';
import { pipelineConfigOf } from '../../../shared/compute/define-pipeline.ts';
import { runExampleComparison, type ExampleComparison } from '../../support/example-comparison.ts';

const config = pipelineConfigOf(rides);
let run: ExampleComparison;

beforeAll(async () => {
  // Two and a half hours of 15 drivers pinging about every 20 s, more too-late pings than by default so the stream layers miss some.
  run = await runExampleComparison(config, (o) => generatePings(o, config), { seed: 6, events: 6_000, spanMs: 150 * 60_000, drivers: 15, zones: 9, tooLateFraction: 0.01 });
}, 240_000);

afterAll(async () => {
  await run?.close();
});

describe('examples/rides through Lambda and Kappa', () => {
  it('Lambda and batch equal the truth below the batch horizon', () => {
    const below = run.result.belowHorizon!;
    for (const view of ['zone_activity', 'trip_sessions']) expect(below.modes.batch!.views[view].exact, view).toBeGreaterThan(10);
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
    expect(run.result.report.modes.speed!.allExact).toBe(false);
    for (const mode of ['speed', 'kappa'] as const) {
      const byView = await run.againstTruthWithoutTooLate(mode);
      for (const [view, c] of Object.entries(byView)) {
        expect(c.windows, `${mode} ${view}`).toBeGreaterThan(10);
        expect(c, `${mode} ${view}`).toMatchObject({ exact: c.windows, missing: 0, extra: 0 });
      }
    }
  });
});
