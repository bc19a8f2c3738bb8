import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../workload/random.ts';

const run = promisify(execFile);

/** A user's pipeline, outside the project: payments with a composite key, decimals, booleans, filters, all three window kinds. */
const PIPELINE = `
import { definePipeline, field } from 'lambdakappa/pipeline';

export default definePipeline({
  schema: {
    fields: {
      tx: field.string({ minLength: 1 }),
      card: field.string({ minLength: 1 }),
      merchant: field.string({ minLength: 1 }),
      at: field.timestamp(),
      amount: field.decimal(2, { min: 0, max: 10000 }),
      approved: field.boolean(),
      channel: field.enum(['pos', 'web']),
      tip: field.decimal(1, { presence: 'optional', min: 0 }),
    },
    id: 'tx', time: 'at', logKey: 'card',
  },
  views: [
    { name: 'card_merchant', description: 'per card and merchant, sliding', key: ['card', 'merchant'], filter: 'approved = true',
      window: { kind: 'sliding', sizeMs: 600000, slideMs: 120000 },
      measures: [{ name: 'n', op: 'count' }, { name: 'total', op: 'sum', input: 'amount + tip' }, { name: 'web', op: 'count', filter: "channel = 'web'" }],
      present: (m) => m },
    { name: 'all_payments', description: 'global, tumbling', window: { kind: 'tumbling', sizeMs: 300000 },
      measures: [{ name: 'n', op: 'count' }, { name: 'declined', op: 'count', filter: 'not approved' }, { name: 'largest', op: 'max', input: 'amount' }],
      present: (m) => m },
    { name: 'card_sessions', description: 'per card, sessions', key: 'card', window: { kind: 'session', gapMs: 240000 },
      measures: [{ name: 'n', op: 'count' }, { name: 'first', op: 'min', input: 'at' }], present: (m) => m },
  ],
  alerts: [{ name: 'card_velocity', view: 'card_merchant', when: 'n > 3', description: 'a card paying one merchant more than 3 times in 10 minutes' }],
});
`;

describe('a pipeline of your own, through every mode', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-own-pipeline-'));
    await writeFile(join(dir, 'pipeline.ts'), PIPELINE);
    const rng = new Random(17);
    const t0 = Date.UTC(2026, 0, 1, 10);
    const lines: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      // Four hours, in order with some disorder; a few duplicates and invalid records.
      const at = t0 + Math.floor((i / 3_000) * 4 * 3_600_000) - (rng.chance(0.1) ? rng.int(0, 20_000) : 0);
      // A redelivery repeats its record byte for byte (same key, same partition, same time).
      if (i > 0 && rng.chance(0.02)) {
        lines.push(lines[lines.length - 1]);
        continue;
      }
      const o: Record<string, unknown> = {
        tx: `t${i}`,
        card: rng.pick(['c1', 'c|2', 'c3']),
        merchant: rng.pick(['m1', 'm|2']),
        at: new Date(at).toISOString(),
        amount: rng.chance(0.02) ? -5 : rng.int(1, 20_000) / 100,
        approved: rng.chance(0.9),
        channel: rng.pick(['pos', 'web']),
      };
      if (rng.chance(0.5)) o.tip = rng.int(0, 30) / 10;
      lines.push(JSON.stringify(o));
    }
    await writeFile(join(dir, 'payments.jsonl'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lk compare --pipeline: every mode equals the truth computed from the definitions (no event too late), on embedded services', async () => {
    const { stdout } = await run(
      'sh',
      ['scripts/node.sh', 'cli/main.ts', 'compare', '--pipeline', join(dir, 'pipeline.ts'), '--input', join(dir, 'payments.jsonl'), '--data-dir', join(dir, 'data'), '--speedup', '0', '--json'],
      { cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout);
    expect(report.events.deadLetter).toBeGreaterThan(0);
    expect(report.events.duplicate).toBeGreaterThan(0);
    for (const view of ['card_merchant', 'all_payments', 'card_sessions']) expect(report.truth.views[view].windows, view).toBeGreaterThan(5);
    expect(report.batchHorizon).not.toBeNull();
    // No event is too late here, so every mode equals the truth over everything.
    expect(report.events.tooLate).toBe(0);
    for (const mode of ['lambda', 'kappa', 'speed']) expect(report.modes[mode].allExact, mode).toBe(true);
    // The alert rule over each mode's windows finds the truth's alerts, no more, no fewer; batch misses those after its horizon.
    expect(report.alerts.speed.truth).toBeGreaterThan(5);
    for (const mode of ['lambda', 'kappa', 'speed']) expect(report.alerts[mode], mode).toMatchObject({ found: report.alerts[mode].truth, missedCount: 0, extraCount: 0 });
    expect(report.alerts.batch.missedCount).toBeGreaterThan(0);
    expect(report.alerts.batch.extraCount).toBe(0);
    expect(report.alerts.batch.missed.every((a: { start: string | number }) => Number(a.start) + 600_000 > Date.parse(report.batchHorizon))).toBe(true);
    // Batch covers the complete hours only: it misses the windows after them (and has the first part
    // of a session the horizon cuts), but adds nothing.
    for (const view of Object.values(report.modes.batch.views) as { exact: number; missing: number; extra: number }[]) {
      expect(view.exact).toBeGreaterThan(0);
      expect(view.missing).toBeGreaterThan(0);
      expect(view.extra).toBe(0);
    }
  }, 180_000);
});
