import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { generateWorkload } from '../../../examples/ecommerce/workload/generator.ts';
import { waitFor } from '../../support/wait-for.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** `lk batch` as a child process over the embedded services in `dataDir`; its stderr is collected. */
function lkBatch(dataDir: string, args: readonly string[]) {
  const child = spawn(process.execPath, ['cli/main.ts', 'batch', ...args], { env: { ...process.env, LK_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('lk batch --schedule --metrics-port', () => {
  it('serves the cycles and the published horizon, ready once the catch-up cycle finished', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-batch-cli-'));
    dirs.push(dataDir);
    const pipeline = compilePipeline(ecommerceConfig());
    const workload = generateWorkload({ seed: 4, events: 3_000, users: 50, products: 20, spanMs: 3 * 3_600_000 }, pipeline.config);
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    await log.ensureTopic('events', 1);
    await log.append('events', workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    await log.close();

    const p = lkBatch(dataDir, ['--schedule', '--metrics-port', '0']);
    await waitFor(async () => /metrics on (\S+)\/metrics/.test(p.stderr()), { timeoutMs: 30_000 });
    const url = /metrics on (\S+)\/metrics/.exec(p.stderr())![1];
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, { timeoutMs: 60_000 });
    const body = await (await fetch(`${url}/metrics`)).text();
    const manifest = JSON.parse(await readFile(join(dataDir, 'objects', 'views', '_manifest.json'), 'utf8')) as { horizon: number; buckets: unknown[] };
    expect(manifest.buckets.length).toBeGreaterThan(0);
    expect(body).toContain('lk_batch_cycles_total{kind="hourly",outcome="ok"} 1');
    expect(body).toContain(`lk_batch_horizon_timestamp_seconds ${manifest.horizon / 1000}`);
    expect(body).toContain(`lk_batch_buckets_recomputed_total ${manifest.buckets.length}`);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
  });

  it('refuses --metrics-port on a one-off run', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-batch-cli-'));
    dirs.push(dataDir);
    const p = lkBatch(dataDir, ['--metrics-port', '0']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('--metrics-port: only applies with --schedule');
  });
});

/** Runs `lk <args>` to its end over the embedded services in `dataDir`: its exit code and stderr. */
async function lk(dataDir: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, LK_DATA_DIR: dataDir }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stderr };
}

describe('lk batch and the quality gate', () => {
  it('exits 1 naming the rejected hour and the check when the master files of an hour are lost, keeps the hour as published, and publishes it with --skip-quality', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-batch-cli-'));
    dirs.push(dataDir);
    const pipeline = compilePipeline(ecommerceConfig());
    const workload = generateWorkload({ seed: 5, events: 2_000, users: 30, products: 10, spanMs: 3 * 3_600_000 }, pipeline.config);
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    await log.ensureTopic('events', 1);
    await log.append('events', workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    await log.close();
    expect((await lk(dataDir, ['archive'])).code).toBe(0);
    const good = await lk(dataDir, ['batch']);
    expect(good.code).toBe(0);
    const manifestPath = join(dataDir, 'objects', 'views', '_manifest.json');
    const published = JSON.parse(await readFile(manifestPath, 'utf8')) as { runId: string; buckets: { bucket: number; runId: string }[] };
    const hour = published.buckets[1].bucket;
    const hourDir = join(dataDir, 'objects', 'master', `dt=${new Date(hour).toISOString().slice(0, 10)}`, `hour=${new Date(hour).toISOString().slice(11, 13)}`);
    const [lost] = (await readdir(hourDir)).filter((f) => f.endsWith('.parquet'));
    await rm(join(hourDir, lost));

    const bad = await lk(dataDir, ['batch']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`quality gate rejected hour ${new Date(hour).toISOString()} (counts): read`);
    expect(bad.stderr).toContain('a master file is missing');
    expect(bad.stderr).toMatch(/lk batch: batch run \S+: the quality gate rejected hour .* their previous versions keep serving/);
    const after = JSON.parse(await readFile(manifestPath, 'utf8')) as { runId: string; buckets: { bucket: number; runId: string }[]; rejected: { check: string; bucket: number }[] };
    expect(after.buckets.find((b) => b.bucket === hour)?.runId).toBe(published.runId);
    expect(after.rejected.map((r) => [r.bucket, r.check])).toEqual([[hour, 'counts']]);

    const forced = await lk(dataDir, ['batch', '--skip-quality']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('published without the quality gate');
  });

  it('refuses --accept-check naming no check of the gate', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-batch-cli-'));
    dirs.push(dataDir);
    const r = await lk(dataDir, ['batch', '--accept-check', 'measures,nulls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--accept-check: must name checks of the quality gate (schema, files, counts, measures, reach, dead_letters, drift), got measures,nulls');
  });
});
