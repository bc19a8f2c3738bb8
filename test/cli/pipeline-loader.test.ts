import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_FILE, loadPipelineFile, pipelineFileOf } from '../../cli/pipeline-loader.ts';
import { ConfigError } from '../../shared/errors.ts';

const run = promisify(execFile);

/** A pipeline outside the project: it imports only 'lambdakappa/pipeline', and brings its own generator. */
const PAYMENTS = `
import { definePipeline, field, type WorkloadGenerator } from 'lambdakappa/pipeline';

const workload: WorkloadGenerator = function* (o) {
  for (let i = 0; i < (o.events ?? 3); i++) {
    const card = 'c' + (i % 2);
    yield { key: card, value: JSON.stringify({ tx: 't' + i, card, at: new Date(o.startTime + i * 1000).toISOString(), amount: 1.25 }), timestamp: o.startTime + i * 1000 };
  }
};

export default definePipeline({
  schema: { fields: { tx: field.string({ minLength: 1 }), card: field.string({ minLength: 1 }), at: field.timestamp(), amount: field.decimal(2, { min: 0 }) }, id: 'tx', time: 'at', logKey: 'card' },
  views: [
    { name: 'per_card', description: 'per card, tumbling minutes', key: 'card', window: { kind: 'tumbling', sizeMs: 60_000 }, measures: [{ name: 'spent', op: 'sum', input: 'amount' }, { name: 'n', op: 'count', filter: 'amount > 1' }], present: (m) => ({ spent: m.spent / 100, n: m.n }) },
  ],
  workload,
});
`;

describe('pipeline files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-pipeline-'));
    await writeFile(join(dir, 'pipeline.ts'), PAYMENTS);
    await writeFile(join(dir, 'bad-view.ts'), PAYMENTS.replace("input: 'amount'", "input: 'amount * card'").replace("from 'lambdakappa/pipeline';", "from 'lambdakappa/pipeline';\n// @ts-nocheck"));
    await writeFile(join(dir, 'no-default.ts'), 'export const x = 1;');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are chosen by --pipeline, else LK_PIPELINE, else the e-commerce example', () => {
    expect(pipelineFileOf('/a/p.ts', { LK_PIPELINE: '/b/p.ts' })).toBe('/a/p.ts');
    expect(pipelineFileOf(undefined, { LK_PIPELINE: '/b/p.ts' })).toBe('/b/p.ts');
    expect(pipelineFileOf(undefined, {})).toBe(DEFAULT_PIPELINE_FILE);
    expect(DEFAULT_PIPELINE_FILE).toMatch(/examples\/ecommerce\/pipeline\.ts$/);
  });

  it('load from outside the project (a temp dir) in every command: lk generate runs the file and its generator', async () => {
    const { stdout } = await run('sh', ['scripts/node.sh', 'cli/main.ts', 'generate', '--pipeline', join(dir, 'pipeline.ts'), '--events', '4', '--end', '2026-01-01T10:00:00Z'], { cwd: process.cwd() });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { card: string });
    expect(lines.map((l) => l.card)).toEqual(['c0', 'c1', 'c0', 'c1']);
  });

  it('say what is wrong, naming the file, the view and the field', async () => {
    await expect(loadPipelineFile(join(dir, 'missing.ts'))).rejects.toThrow(/does not exist; pass --pipeline FILE/);
    await expect(loadPipelineFile(join(dir, 'no-default.ts'))).rejects.toThrow(/must export default definePipeline/);
    await expect(loadPipelineFile(join(dir, 'no-default.ts'))).rejects.toThrow(ConfigError);
    const bad = await run('sh', ['scripts/node.sh', 'cli/main.ts', 'generate', '--pipeline', join(dir, 'bad-view.ts')], { cwd: process.cwd() }).catch((err: { code: number; stderr: string }) => err);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/bad-view\.ts: view per_card, measure spent, input: \* needs numbers on both sides/);
  });

  it('load the default e-commerce example as any other file', async () => {
    const config = await loadPipelineFile(DEFAULT_PIPELINE_FILE);
    expect(config.views.map((v) => v.name)).toEqual(['product_activity', 'revenue', 'user_sessions']);
    expect(config.schema.logKey).toBe('user_id');
  });
});
