import type { PipelineConfig } from '../../../../shared/compute/pipeline.ts';
import { generateWorkload } from '../../../../examples/ecommerce/workload/generator.ts';

/**
 * The seeded workload of a fault test as JSON lines for `lk ingest`: `events` records (malformed,
 * duplicate, out-of-order and too-late ones among them) whose event times lie in the last
 * `spanMs`, since lk ingest stamps records with the time it appends them.
 */
export function workloadLines(seed: number, events: number, config: PipelineConfig, spanMs = 45 * 60_000): string[] {
  const w = generateWorkload({ seed, events, users: Math.max(20, Math.round(events / 40)), products: 30, spanMs, startTime: Date.now() - spanMs }, config);
  return w.records.map((r) => r.value);
}

/** `lines` cut into `n` chunks of (nearly) equal size, in order, each ending with a newline: what a test feeds lk ingest's stdin at its moments. */
export function chunks(lines: readonly string[], n: number): string[] {
  const size = Math.ceil(lines.length / n);
  return Array.from({ length: n }, (_, i) => lines.slice(i * size, (i + 1) * size)).filter((c) => c.length > 0).map((c) => `${c.join('\n')}\n`);
}
