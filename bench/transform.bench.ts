import { PartitionProcessor } from '../shared/compute/partition-processor.ts';
import ecommerce from '../examples/ecommerce/pipeline.ts';
import { pipelineConfigOf } from '../shared/compute/define-pipeline.ts';
import { compilePipeline } from '../shared/compute/pipeline.ts';
import type { Event } from '../shared/model/event.ts';
import { generateWorkload } from '../examples/ecommerce/workload/generator.ts';

const ROUNDS = 3;

/**
 * The pure transform: pre-parsed events through the PartitionProcessor for the three reference
 * views, on one core (target >= 1M events/s), best of ROUNDS rounds. Also reports parse + validate separately.
 */
export async function benchTransform(events = 2_000_000): Promise<Record<string, number>> {
  const pipeline = compilePipeline(pipelineConfigOf(ecommerce));
  const w = generateWorkload({ seed: 1, events, tooLateFraction: 0, malformedFraction: 0, duplicateFraction: 0, users: 20_000, products: 2_000, spanMs: 6 * 3_600_000 }, pipeline.config);
  const parsed: Event[] = [];
  const t0 = performance.now();
  for (const r of w.records) {
    const v = pipeline.validator.validateRecord(r.value, r.timestamp);
    if (v.ok) parsed.push(v.event);
  }
  const validateS = (performance.now() - t0) / 1000;
  // Warm up, then measure fresh processors; the best of a few rounds, as other work on a shared
  // machine only ever slows a round down.
  const warm = new PartitionProcessor(pipeline, 0);
  for (let i = 0; i < Math.min(200_000, parsed.length); i++) warm.processEvent(parsed[i]);
  let foldS = Number.POSITIVE_INFINITY;
  let foldCpuS = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const proc = new PartitionProcessor(pipeline, 0);
    const cpu = process.cpuUsage();
    const t1 = performance.now();
    for (let i = 0; i < parsed.length; i++) {
      proc.processEvent(parsed[i]);
      if ((i & 0xffff) === 0xffff) proc.flush();
    }
    proc.flush();
    foldS = Math.min(foldS, (performance.now() - t1) / 1000);
    const used = process.cpuUsage(cpu);
    foldCpuS = Math.min(foldCpuS, (used.user + used.system) / 1e6);
  }
  return {
    events: parsed.length,
    'parse+validate events/s': Math.round(parsed.length / validateS),
    'transform events/s (3 views, pre-parsed)': Math.round(parsed.length / foldS),
    // CPU time includes the garbage collector's helper threads, so it can exceed wall time.
    'transform events per CPU-s': Math.round(parsed.length / foldCpuS),
  };
}

if (import.meta.main) console.log(await benchTransform(Number(process.argv[2] ?? 2_000_000)));
