import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeGroundTruth, type TruthWindow } from '../../../compare/ground-truth.ts';
import { fetchServedView } from '../../../compare/served-windows.ts';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import { compilePipeline, type Pipeline } from '../../../shared/compute/pipeline.ts';
import type { ServingMode } from '../../../serving/serving-mode.ts';
import { generateWorkload } from '../../../examples/ecommerce/workload/generator.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { waitFor } from '../../support/wait-for.ts';
import { bySource, expectedDeadLetters, readTopic } from '../../integration/fault/support/side-outputs-check.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const PARTITIONS = 2;
/** Each test starts several lk processes (about 2 s each on an idle 2-core machine); room for a busy one. */
const SLOW_MS = 180_000;
const pipeline = compilePipeline(ecommerceConfig());

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lk-run-cli-'));
  dirs.push(d);
  return d;
}

/** An `lk` child process over the embedded services in `dir`; its stderr is collected. */
function lk(dir: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, LK_DATA_DIR: dir, LK_PARTITIONS: String(PARTITIONS), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** `lk run <mode>` on a free port, once it says where its HTTP API is. */
async function lkRun(dir: string, mode: string) {
  const p = lk(dir, ['run', mode, '--port', '0']);
  const url = await waitFor(() => {
    const up = /HTTP API at (http:\/\/[^\s;]+)/.exec(p.stderr())?.[1];
    if (up === undefined && p.child.exitCode !== null) throw new Error(`lk run ${mode} exited ${p.child.exitCode} instead of coming up: ${p.stderr()}`);
    return up;
  }, { timeoutMs: 45_000, message: `lk run ${mode} did not come up` });
  return { ...p, url };
}

/** `lk ingest` from another process, appending `lines` beside the running platform; resolves once it exited 0. */
async function ingest(dir: string, lines: readonly string[], name: string): Promise<void> {
  const file = join(dir, `${name}.jsonl`);
  await writeFile(file, `${lines.join('\n')}\n`);
  const p = lk(dir, ['ingest', '--input', file]);
  const code = await p.exited;
  expect(code, p.stderr()).toBe(0);
}

/** A seeded workload as lk ingest lines, event times in the last half hour; no too-late event, so every mode must equal the truth window for window. */
function lines(seed: number, events: number): string[] {
  const spanMs = 30 * 60_000;
  const w = generateWorkload({ seed, events, users: 40, products: 15, spanMs, startTime: Date.now() - spanMs, tooLateFraction: 0 }, pipeline.config);
  return w.records.map((r) => r.value);
}

/** The truth (compare/definition-truth.ts: brute force from the definitions) of every view over `all`, appended about now. */
async function truthOf(all: readonly string[]): Promise<Record<string, TruthWindow[]>> {
  const now = Date.now();
  const views = (await computeGroundTruth(pipeline, all.map((value) => ({ value, timestamp: now })))).views as Record<string, TruthWindow[]>;
  for (const v of pipeline.views) expect(views[v.name].length, v.name).toBeGreaterThan(0);
  return views;
}

const byWindow = (a: { key: string; start: number }, b: { key: string; start: number }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.start - b.start);

/** Every view as `mode` serves it through the HTTP API, windows sorted like the truth's. */
async function served(url: string, mode: ServingMode, p: Pipeline): Promise<Record<string, TruthWindow[]>> {
  const out: Record<string, TruthWindow[]> = {};
  const from = Date.now() - 3 * 3_600_000;
  const to = Date.now() + 3_600_000;
  for (const v of p.views) {
    const view = await fetchServedView(url, v.name, mode, from, to);
    out[v.name] = [...(view?.windows ?? [])].map((w) => ({ key: w.key, start: w.start, end: w.end, values: w.values })).sort(byWindow);
  }
  return out;
}

/** Polls the HTTP API until `mode` serves exactly the truth (then asserts it, for the diff when it never did). */
async function expectServedTruth(url: string, mode: ServingMode, truth: Record<string, TruthWindow[]>): Promise<void> {
  const expected = Object.fromEntries(Object.entries(truth).map(([v, ws]) => [v, [...ws].sort(byWindow)]));
  const same = async () => JSON.stringify(await served(url, mode, pipeline)) === JSON.stringify(expected);
  await waitFor(same, { timeoutMs: 45_000, intervalMs: 200, message: `${mode} never served the truth` }).catch(() => undefined);
  expect(await served(url, mode, pipeline)).toEqual(expected);
}

/** Every bad record of the events topic is in the dead-letter topic exactly once per source offset. */
async function expectDeadLettersOnce(dir: string): Promise<void> {
  const log = await EmbeddedLog.open(join(dir, 'log'));
  try {
    const dead = bySource(await readTopic(log, 'events.dead-letter'), 'events');
    expect(dead.repeated).toEqual([]);
    expect(dead.reasons).toEqual(expectedDeadLetters(await readTopic(log, 'events'), pipeline));
    expect(dead.reasons.size).toBeGreaterThan(0);
  } finally {
    await log.close();
  }
}

describe('lk run', () => {
  it('both: lk ingest appends from another process, and the HTTP API serves the truth in lambda and kappa mode while it streams; SIGTERM exits 0', async () => {
    const dir = await dataDir();
    const run = await lkRun(dir, 'both');
    const all = lines(5, 2_000);
    await ingest(dir, all, 'events');
    const truth = await truthOf(all);
    await expectServedTruth(run.url, 'lambda', truth);
    await expectServedTruth(run.url, 'kappa', truth);
    // /ready covers the hosted jobs (caught up with the log, the batch catch-up done) besides serving.
    const ready = await waitFor(async () => {
      const res = await fetch(`${run.url}/ready`);
      return res.status === 200 ? ((await res.json()) as { checks: Record<string, string> }) : undefined;
    }, { timeoutMs: 30_000 });
    expect(Object.keys(ready.checks).sort()).toEqual(['batch', 'stream kappa_v1', 'stream speed', 'viewStore']);
    const metrics = await (await fetch(`${run.url}/metrics`)).text();
    expect(metrics).toContain('lk_batch_cycles_total{kind="hourly",outcome="ok"}');
    expect(metrics).toContain(`lk_stream_records_read{namespace="speed"} ${all.length}`);
    expect(metrics).toContain(`lk_stream_records_read{namespace="kappa_v1"} ${all.length}`);
    expect(metrics).toMatch(/lk_speed_consumer_lag_records\{partition="0"\} 0/);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stderr()).toContain(`speed ${all.length.toLocaleString('en-US')}`);
    await expectDeadLettersOnce(dir);
  }, SLOW_MS);

  it('lambda with a pipeline declaring an alert rule: the alerts GET /v1/alerts answers go to events.alerts, each once', async () => {
    const dir = await dataDir();
    const file = join(dir, 'pipeline.ts');
    // The reference pipeline plus one rule, as a user's pipeline file would add it.
    await writeFile(file, `import { ecommercePipeline } from ${JSON.stringify(join(process.cwd(), 'examples/ecommerce/pipeline.ts'))};\nexport default { ...ecommercePipeline(), alerts: [{ name: 'busy_product', view: 'product_activity', when: 'views >= 2' }] };\n`);
    const p = lk(dir, ['run', 'lambda', '--port', '0'], { LK_PIPELINE: file });
    const url = await waitFor(() => /HTTP API at (http:\/\/[^\s;]+)/.exec(p.stderr())?.[1], { timeoutMs: 45_000, message: 'lk run lambda did not come up' });
    await ingest(dir, lines(9, 2_000), 'events');
    const served = async () => {
      const res = await fetch(`${url}/v1/alerts?mode=speed&from=${Date.now() - 2 * 3_600_000}&to=now`);
      return ((await res.json()) as { alerts: { id: string }[] }).alerts.map((a) => a.id).sort();
    };
    const published = async () => {
      const log = await EmbeddedLog.open(join(dir, 'log'));
      try {
        return (await readTopic(log, 'events.alerts').catch(() => [])).map((r) => r.key!).sort();
      } finally {
        await log.close();
      }
    };
    // Once every record is read (the stream's bound stops just short of the newest events), the topic holds what is served.
    await waitFor(async () => {
      const want = await served();
      return want.length > 0 && JSON.stringify(await published()) === JSON.stringify(want);
    }, { timeoutMs: 60_000, intervalMs: 500, message: 'the alerts topic never matched GET /v1/alerts' });
    const ids = await published();
    expect(new Set(ids).size).toBe(ids.length);
    expect(p.stderr()).toMatch(/alerts? to events\.alerts/);
    p.child.kill('SIGTERM');
    expect(await p.exited, p.stderr()).toBe(0);
  }, SLOW_MS);

  it('a second lk run on the same data dir is refused naming the process that holds it, and lk serve beside it points at lk run', async () => {
    const dir = await dataDir();
    const first = await lkRun(dir, 'lambda');
    const second = lk(dir, ['run', 'kappa', '--port', '0']);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(`another lk run lambda (process ${first.child.pid}, serving ${first.url}) already holds the embedded data dir ${dir}`);
    expect(second.stderr()).toContain(`kill -TERM ${first.child.pid}`);
    expect(second.stderr()).toContain('give it its own --data-dir');
    const serve = lk(dir, ['serve', '--port', '0']);
    expect(await serve.exited).toBe(1);
    expect(serve.stderr()).toMatch(new RegExp(`in use by another process \\(PID ${first.child.pid}\\).*lk run lambda \\| kappa \\| both`));
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    // Stopped, it released the data dir: the next platform starts there.
    const again = await lkRun(dir, 'kappa');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, SLOW_MS);

  it('SIGKILLed while lk ingest appends, restarted, it serves the truth in lambda and kappa mode: nothing lost, nothing counted twice', async () => {
    const dir = await dataDir();
    const all = lines(9, 3_000);
    const parts = [all.slice(0, 1_000), all.slice(1_000, 2_000), all.slice(2_000)];
    const first = await lkRun(dir, 'both');
    await ingest(dir, parts[0], 'part-0');
    // Killed once it committed some of the log, while the next part is being appended.
    await waitFor(async () => ((await fetchServedView(first.url, 'revenue', 'kappa', Date.now() - 3 * 3_600_000, Date.now()))?.windows.length ?? 0) > 0, { timeoutMs: 45_000 });
    const appending = ingest(dir, parts[1], 'part-1');
    first.child.kill('SIGKILL');
    await first.exited;
    await appending;
    const second = await lkRun(dir, 'both');
    await ingest(dir, parts[2], 'part-2');
    const truth = await truthOf(all);
    await expectServedTruth(second.url, 'lambda', truth);
    await expectServedTruth(second.url, 'kappa', truth);
    second.child.kill('SIGTERM');
    expect(await second.exited, second.stderr()).toBe(0);
    await expectDeadLettersOnce(dir);
  }, SLOW_MS);

  it('kappa --backfill replays into a new version, cuts over through the gate, and the live Kappa job follows the alias, back too after an admin rollback', async () => {
    const dir = await dataDir();
    const all = lines(13, 2_000);
    const [before, after, last] = [all.slice(0, 1_200), all.slice(1_200, 1_600), all.slice(1_600)];
    await ingest(dir, before, 'before');
    const token = 'run-command-test-token';
    const run = lk(dir, ['run', 'kappa', '--port', '0', '--backfill'], { LK_ADMIN_TOKEN: token });
    await waitFor(() => run.stderr().includes('the live job continues kappa_v2'), { timeoutMs: 60_000, message: () => `no cut-over to kappa_v2; lk run said:\n${run.stderr()}` });
    expect(run.stderr()).toContain('kappa now serves kappa_v2 (was kappa_v1)');
    const url = /HTTP API at (http:\/\/[^\s;]+)/.exec(run.stderr())![1];
    // Appended after the cut-over: only a live job on kappa_v2 brings them into what kappa mode serves.
    await ingest(dir, after, 'after');
    await expectServedTruth(url, 'kappa', await truthOf([...before, ...after]));
    expect((await fetchServedView(url, 'revenue', 'kappa', Date.now() - 3_600_000, Date.now()))?.kappaVersion).toBe('kappa_v2');
    // The backfill published its progress as lk replay does: /v1/status shows it served.
    const status = (await (await fetch(`${url}/v1/status`)).json()) as { replay: { version: string; serving: string; state: string } | null };
    expect(status.replay).toMatchObject({ version: 'kappa_v2', serving: 'kappa_v1', state: 'served' });
    // Rolled back through the admin endpoint, the live job goes back to kappa_v1 and brings it up to the log.
    const rollback = await fetch(`${url}/v1/admin/rollback`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(rollback.status).toBe(200);
    await waitFor(() => run.stderr().includes('the live job continues kappa_v1'), { timeoutMs: 30_000, message: 'the live job did not follow the rollback' });
    await ingest(dir, last, 'last');
    await expectServedTruth(url, 'kappa', await truthOf(all));
    expect((await fetchServedView(url, 'revenue', 'kappa', Date.now() - 3_600_000, Date.now()))?.kappaVersion).toBe('kappa_v1');
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
  }, SLOW_MS);

  it('SIGTERM while it starts up stops it cleanly: exit 0, the data dir released', async () => {
    const dir = await dataDir();
    for (const when of ['run: ', 'speed layer: consuming', 'kappa: ']) {
      const p = lk(dir, ['run', 'both', '--port', '0']);
      await waitFor(() => p.stderr().includes(when), { timeoutMs: 45_000, message: `no "${when}" from lk run` });
      p.child.kill('SIGTERM');
      expect(await p.exited, p.stderr()).toBe(0);
    }
  }, SLOW_MS);

  it('without a mode says which exist', async () => {
    const dir = await dataDir();
    const p = lk(dir, ['run']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('lk run lambda | kappa | both');
  });
});
