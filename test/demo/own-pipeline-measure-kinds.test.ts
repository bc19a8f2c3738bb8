import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../workload/random.ts';

const run = promisify(execFile);

/** A user's pipeline declaring every measure kind beyond count/sum/min/max, over all three window kinds. */
const PIPELINE = `
import { definePipeline, field } from 'lambdakappa/pipeline';

const kinds = [
  { name: 'avg_amount', op: 'avg', input: 'amount' },
  { name: 'first_page', op: 'first', input: 'page_no' },
  { name: 'last_page', op: 'last', input: 'page_no' },
  { name: 'merchants', op: 'count_distinct', input: 'merchant_id' },
  { name: 'merchants_approx', op: 'count_distinct_hll', input: 'merchant_id' },
  { name: 'top_merchants', op: 'top_k', input: 'merchant_id', k: 3 },
  { name: 'web_top', op: 'top_k', input: 'approved', k: 2, filter: "channel = 'web'" },
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

describe('a pipeline with every measure kind, through every mode', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-measure-kinds-'));
    await writeFile(join(dir, 'pipeline.ts'), PIPELINE);
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
        }),
      );
      // Equal event times: the first/last tie rule decides.
      if (rng.chance(0.05)) {
        const o = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
        lines.push(JSON.stringify({ ...o, tx: `t${i}b`, page_no: rng.int(0, 5) }));
      }
    }
    await writeFile(join(dir, 'payments.jsonl'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lk compare --pipeline: Lambda, Kappa, speed and batch equal the truth from the definitions, on embedded services', async () => {
    const { stdout } = await run(
      'sh',
      ['scripts/node.sh', 'cli/main.ts', 'compare', '--pipeline', join(dir, 'pipeline.ts'), '--input', join(dir, 'payments.jsonl'), '--data-dir', join(dir, 'data'), '--speedup', '0', '--json'],
      { cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout);
    for (const view of ['card_sliding', 'all_tumbling', 'card_sessions']) expect(report.truth.views[view].windows, view).toBeGreaterThan(5);
    expect(report.batchHorizon).not.toBeNull();
    expect(report.events.tooLate).toBe(0);
    for (const mode of ['lambda', 'kappa', 'speed']) expect(report.modes[mode].allExact, mode).toBe(true);
    for (const view of Object.values(report.modes.batch.views) as { exact: number; missing: number; extra: number }[]) {
      expect(view.exact).toBeGreaterThan(0);
      expect(view.extra).toBe(0);
    }
  }, 240_000);
});
