import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-examples-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the examples, as `npm start -- --pipeline examples/<name>/pipeline.ts` runs them', () => {
  it.each([
    ['payments', ['card_minute', 'card_hour', 'merchant_hour', 'top_merchants']],
    ['rides', ['zone_activity', 'trip_sessions']],
  ])('lk demo --pipeline examples/%s/pipeline.ts --json: its own seeded workload through every mode', async (name, views) => {
    const { stdout } = await run(
      'sh',
      ['scripts/node.sh', 'cli/main.ts', 'demo', '--pipeline', `examples/${name}/pipeline.ts`, '--events', '800', '--span-minutes', '75', '--speedup', '0', '--data-dir', join(dir, name), '--json'],
      { cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout);
    expect(report.events.source).toBe('generated');
    expect(report.events.generated).toBe(800);
    // Beside them, a probe event every 5 simulated minutes that the pipeline's own views show.
    expect(report.events.probes).toBeGreaterThan(10);
    expect(report.freshness.perMode.speed.count).toBeGreaterThan(10);
    expect(report.events.deadLetter).toBeGreaterThan(0);
    expect(Object.keys(report.truth.views).sort()).toEqual([...views].sort());
    for (const view of views) expect(report.truth.views[view].windows, view).toBeGreaterThan(0);
    expect(report.modes.kappa.views[views[0]].exact).toBeGreaterThan(0);
  }, 180_000);
});
