import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWindows, type ViewComparison } from '../../compare/compare-views.ts';
import { computeGroundTruth, type GroundTruth } from '../../compare/ground-truth.ts';
import { fetchServedView } from '../../compare/served-windows.ts';
import { defaultSimStart, runDemo, type DemoResult } from '../../demo/run-demo.ts';
import { withProbes, type TimedRecord } from '../../demo/timeline-source.ts';
import { compilePipeline, type PipelineConfig } from '../../shared/compute/pipeline.ts';
import { loadConfig } from '../../shared/config.ts';
import type { ServingMode } from '../../serving/serving-mode.ts';
import type { Workload } from '../../workload/collect-workload.ts';

/** What an example's run through the demo's comparison gives a test. */
export interface ExampleComparison {
  readonly result: DemoResult;
  readonly workload: Workload;
  /** The truth over everything played except the records the generator made too late. */
  readonly truthWithoutTooLate: GroundTruth;
  /** Each view of `mode` as served over HTTP, against truthWithoutTooLate. */
  againstTruthWithoutTooLate(mode: ServingMode): Promise<Record<string, ViewComparison>>;
  close(): Promise<void>;
}

/** The demo's probe interval (demo/timeline.ts): the played records include its probes. */
const PROBE_EVERY_MS = 5 * 60_000;

/**
 * Plays an example pipeline's own seeded workload through the demo's timeline on embedded
 * services (Lambda: batch on its schedule + speed; Kappa: live job + backfill), as `lk demo
 * --pipeline` does, and recomputes the truth without the records its generator made too late
 * (what the stream layers are meant to miss).
 */
export async function runExampleComparison(pipeline: PipelineConfig, generate: (o: Readonly<Record<string, number>>) => Workload, options: Readonly<Record<string, number>>): Promise<ExampleComparison> {
  const dir = await mkdtemp(join(tmpdir(), 'lk-example-'));
  const workloadOptions = { startTime: defaultSimStart(Date.now()), ...options };
  const workload = generate(workloadOptions);
  const config = loadConfig({ LK_DATA_DIR: join(dir, 'data'), LK_PARTITIONS: '2' }, { pipeline });
  const result = await runDemo(config, { workload: workloadOptions, speedup: Number.POSITIVE_INFINITY, keepData: false, port: 0, progress: () => undefined });
  const compiled = compilePipeline(pipeline);
  const tooLate = new Set(workload.records.filter((r) => r.kind === 'too_late').map((r) => r.value));
  async function* played(): AsyncGenerator<TimedRecord> {
    yield* workload.records;
  }
  const kept = async function* () {
    for await (const r of withProbes(played(), PROBE_EVERY_MS, pipeline.schema)) if (!tooLate.has(r.value)) yield r;
  };
  const truthWithoutTooLate = await computeGroundTruth(compiled, kept());
  const all = Object.values(truthWithoutTooLate.views).flat();
  const from = Math.min(...all.map((w) => w.start));
  const to = Math.max(...all.map((w) => w.end));
  return {
    result,
    workload,
    truthWithoutTooLate,
    async againstTruthWithoutTooLate(mode) {
      const out: Record<string, ViewComparison> = {};
      for (const view of compiled.views) {
        const served = await fetchServedView(result.url, view.name, mode, from, to);
        out[view.name] = compareWindows(view, served?.windows ?? [], truthWithoutTooLate.views[view.name]);
      }
      return out;
    },
    async close() {
      await result.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
