import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { Random } from '../../workload/random.ts';

/** A user's pipeline declaring every measure kind beyond count/sum/min/max, over all three window kinds. */
export const MEASURE_KINDS_PIPELINE = `
import { definePipeline, field } from 'lambdakappa/pipeline';

const kinds = [
  { name: 'avg_amount', op: 'avg', input: 'amount' },
  { name: 'first_page', op: 'first', input: 'page_no' },
  { name: 'last_page', op: 'last', input: 'page_no' },
  { name: 'merchants', op: 'count_distinct', input: 'merchant_id' },
  { name: 'merchants_approx', op: 'count_distinct_hll', input: 'merchant_id' },
  { name: 'top_merchants', op: 'top_k', input: 'merchant_id', k: 3 },
  { name: 'web_top', op: 'top_k', input: 'approved', k: 2, filter: "channel = 'web'" },
  // An optional input (absent: contributes nothing), integers and an expression.
  { name: 'avg_tip', op: 'avg', input: 'tip' },
  { name: 'last_tip', op: 'last', input: 'tip' },
  { name: 'tips', op: 'count_distinct', input: 'tip' },
  { name: 'pages_approx', op: 'count_distinct_hll', input: 'page_no', precision: 8 },
  { name: 'top_pages', op: 'top_k', input: 'page_no * 2', k: 2 },
  { name: 'n', op: 'count' },
] as const;

export default definePipeline({
  schema: {
    fields: {
      tx: field.string({ minLength: 1 }),
      card: field.string({ minLength: 1 }),
      merchant_id: field.string({ minLength: 1 }),
      at: field.timestamp(),
      amount: field.decimal(2, { min: 0, max: 10000 }),
      page_no: field.integer({ min: 0, max: 100 }),
      approved: field.boolean(),
      channel: field.enum(['pos', 'web']),
      tip: field.decimal(1, { presence: 'optional', min: 0 }),
    },
    id: 'tx', time: 'at', logKey: 'card',
  },
  views: [
    { name: 'card_sliding', description: 'per card, sliding', key: 'card', window: { kind: 'sliding', sizeMs: 600000, slideMs: 120000 }, measures: kinds },
    { name: 'all_tumbling', description: 'global, tumbling', window: { kind: 'tumbling', sizeMs: 900000 }, measures: kinds },
    { name: 'card_sessions', description: 'per card, sessions', key: 'card', window: { kind: 'session', gapMs: 240000 }, measures: kinds },
  ],
});
`;

/** Three hours of payments for MEASURE_KINDS_PIPELINE, as JSON lines: some disorder, duplicates, invalid records and equal event times. */
export function measureKindsRecords(): string {
  const rng = new Random(23);
  const t0 = Date.UTC(2026, 0, 1, 10);
  const lines: string[] = [];
  for (let i = 0; i < 3_000; i++) {
    // Three hours, in order with some disorder; a few duplicates and invalid records.
    const at = t0 + Math.floor((i / 3_000) * 3 * 3_600_000) - (rng.chance(0.1) ? rng.int(0, 20_000) : 0);
    if (i > 0 && rng.chance(0.02)) {
      lines.push(lines[lines.length - 1]);
      continue;
    }
    lines.push(
      JSON.stringify({
        tx: `t${i}`,
        card: rng.pick(['c1', 'c2', 'c3', 'c4']),
        // Many merchants, so the global windows see hundreds of distinct values (HLL beyond its exact range).
        merchant_id: `m${rng.int(0, rng.chance(0.5) ? 4 : 400)}`,
        at: new Date(at).toISOString(),
        amount: rng.chance(0.02) ? -5 : rng.int(1, 20_000) / 100,
        // Few pages, so first/last often meet equal event times with different values.
        page_no: rng.int(0, 5),
        approved: rng.chance(0.8),
        channel: rng.pick(['pos', 'web']),
        ...(rng.chance(0.3) && { tip: rng.int(0, 20) / 10 }),
      }),
    );
    // Equal event times: the first/last tie rule decides.
    if (rng.chance(0.05)) {
      const o = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
      lines.push(JSON.stringify({ ...o, tx: `t${i}b`, page_no: rng.int(0, 5) }));
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `lk compare --json` on the pipeline and records written under `dir` (env added to the
 * child's) and checks what every mode must give: Lambda, Kappa and speed equal the definition
 * truth in every window; batch, which covers the complete hours only, misses the windows after
 * them (and has the first part of one the horizon cuts) but has none the truth lacks.
 */
export async function expectEveryModeEqualsTruth(dir: string, env: Readonly<Record<string, string>> = {}): Promise<void> {
  const { stdout } = await promisify(execFile)(
    'sh',
    ['scripts/node.sh', 'cli/main.ts', 'compare', '--pipeline', `${dir}/pipeline.ts`, '--input', `${dir}/payments.jsonl`, '--data-dir', `${dir}/data`, '--speedup', '0', '--json'],
    { cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
  );
  const report = JSON.parse(stdout);
  for (const view of ['card_sliding', 'all_tumbling', 'card_sessions']) expect(report.truth.views[view].windows, view).toBeGreaterThan(5);
  expect(report.batchHorizon).not.toBeNull();
  // No event is too late here, so every streaming mode equals the truth over everything.
  expect(report.events.tooLate).toBe(0);
  for (const mode of ['lambda', 'kappa', 'speed']) expect(report.modes[mode].allExact, mode).toBe(true);
  for (const [name, view] of Object.entries(report.modes.batch.views) as [string, { exact: number; extra: number }][]) {
    expect(view.exact, name).toBeGreaterThan(0);
    expect(view.extra, name).toBe(0);
  }
}
