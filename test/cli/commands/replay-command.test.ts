import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbViewStore } from '../../../infra/duckdb/duckdb-view-store.ts';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { KAPPA_ALIAS } from '../../../speed/kappa-version.ts';
import { readReplayProgress } from '../../../speed/replay-progress.ts';
import { LocalObjectStore } from '../../../infra/embedded/local-object-store.ts';
import { generateWorkload } from '../../../examples/ecommerce/workload/generator.ts';
import { waitFor } from '../../support/wait-for.ts';

const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Runs `lk <args>` over the embedded services in `dataDir` to its end: exit code and stderr. */
async function lk(dataDir: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, LK_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

async function servedVersion(dataDir: string): Promise<string | undefined> {
  const views = await DuckDbViewStore.open(join(dataDir, 'views.duckdb'));
  try {
    return await views.getAlias(KAPPA_ALIAS);
  } finally {
    await views.close();
  }
}

describe('lk replay, lk cutover, lk rollback', () => {
  it('gate the cut-over on the version serving and on batch, print the diff when refused, and roll back in one step', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-replay-cli-'));
    dirs.push(dataDir);
    const pipeline = compilePipeline(ecommerceConfig());
    const workload = generateWorkload({ seed: 8, events: 6_000, users: 500, products: 20, spanMs: 4 * 3_600_000 }, pipeline.config);
    expect(workload.facts.tooLate).toBeGreaterThan(0);
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    await log.ensureTopic('events', 1);
    await log.append('events', workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    await log.close();

    const first = await lk(dataDir, ['replay']);
    expect(first.code, first.stderr).toBe(0);
    expect(await servedVersion(dataDir)).toBe('kappa_v1');
    const second = await lk(dataDir, ['replay']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/cut-over gate for kappa_v2: passed/);
    expect(second.stderr).toMatch(/product_activity vs kappa_v1: 0 of [\d,]+ final windows differ/);

    // With a batch published, the too-late events are windows batch counts and Kappa does not;
    // with no late topic (no job wrote side outputs) nothing explains them, so the gate refuses.
    for (const command of [['archive'], ['batch']]) expect((await lk(dataDir, command)).code).toBe(0);
    const unexplained = await lk(dataDir, ['replay']);
    expect(unexplained.code).toBe(1);
    expect(unexplained.stderr).toMatch(/cut-over gate for kappa_v3: refused/);
    expect(unexplained.stderr).toMatch(/vs batch: [1-9][\d,]* of [\d,]+ final windows differ .*<- over/);
    expect(unexplained.stderr).toMatch(/cut-over refused, kappa_v2 keeps serving/);
    // What lk serve shows in /v1/status: the replay's last published progress.
    expect(await readReplayProgress(new LocalObjectStore(join(dataDir, 'objects')))).toMatchObject({ version: 'kappa_v3', serving: 'kappa_v2', state: 'refused', lagRecords: 0 });
    expect(await servedVersion(dataDir)).toBe('kappa_v2');

    const forced = await lk(dataDir, ['cutover', '--version', 'kappa_v3', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/diverged, forced/);
    expect(await servedVersion(dataDir)).toBe('kappa_v3');
    const back = await lk(dataDir, ['rollback']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).toContain('kappa now serves kappa_v2 (was kappa_v3)');
    expect(await servedVersion(dataDir)).toBe('kappa_v2');

    // The speed layer writes the late topic; then every difference from batch is a too-late event's.
    const speed = spawn(process.execPath, ['cli/main.ts', 'speed'], { env: { ...process.env, LK_DATA_DIR: dataDir }, stdio: 'ignore' });
    const readLog = await EmbeddedLog.open(join(dataDir, 'log'));
    await waitFor(async () => (await readLog.committedOffsets('events', 'lk-speed')).get(0) === workload.records.length, { timeoutMs: 60_000 });
    await readLog.close();
    speed.kill('SIGINT');
    await new Promise((resolve) => speed.on('exit', resolve));
    const explained = await lk(dataDir, ['cutover', '--version', 'kappa_v3']);
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stderr).toMatch(/cut-over gate for kappa_v3: passed/);
    expect(explained.stderr).toMatch(/vs batch: 0 of [\d,]+ final windows differ .*; [1-9][\d,]* more differ only by too-late events/);
    expect(await servedVersion(dataDir)).toBe('kappa_v3');
  });
});
