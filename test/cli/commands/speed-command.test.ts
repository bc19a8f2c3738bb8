import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbViewStore } from '../../../infra/duckdb/duckdb-view-store.ts';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import type { LogRecord } from '../../../shared/ports/event-log.ts';
import { generateWorkload } from '../../../examples/ecommerce/workload/generator.ts';
import { waitFor } from '../../support/wait-for.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** `lk speed` as a child process over the embedded services in `dataDir`; its stderr is collected. */
function lkSpeed(dataDir: string, args: readonly string[], partitions = 1) {
  const child = spawn(process.execPath, ['cli/main.ts', 'speed', ...args], { env: { ...process.env, LK_DATA_DIR: dataDir, LK_PARTITIONS: String(partitions) }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** Every record of a topic, read by a log instance of its own (the child appends to the files); none while the topic does not exist. */
async function readTopic(dir: string, topic: string): Promise<LogRecord[]> {
  const log = await EmbeddedLog.open(dir);
  try {
    if (!(await log.partitionCount(topic).catch(() => 0))) return [];
    const out: LogRecord[] = [];
    await (await log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) })).done;
    return out;
  } finally {
    await log.close();
  }
}

describe('lk speed', () => {
  it('killed before its first view-store commit, the restarted process counts every record and dead-letters every bad one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const logDir = join(dataDir, 'log');
    const pipeline = compilePipeline(ecommerceConfig());
    const workload = generateWorkload({ seed: 11, events: 3_000, users: 80, products: 20, spanMs: 30 * 60_000 }, pipeline.config);
    const log = await EmbeddedLog.open(logDir);
    await log.ensureTopic('events', 1);
    await log.append('events', workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    const end = (await log.endOffsets('events')).get(0)!;

    // Nothing is committed to the view store for ten minutes, while the group offset follows every batch.
    const first = lkSpeed(dataDir, ['--commit-interval-ms', '600000']);
    await waitFor(async () => (await log.committedOffsets('events', 'lk-speed')).get(0) === end, { timeoutMs: 60_000 });
    first.child.kill('SIGKILL');
    await first.exited;

    // A bad record at the end: its dead-letter copy means the restarted job has read the whole partition.
    await log.append('events', [{ key: 'sentinel', value: 'not json' }]);
    await log.close();
    const second = lkSpeed(dataDir, []);
    await waitFor(async () => (await readTopic(logDir, 'events.dead-letter')).some((d) => d.headers['lk-source-offset'] === String(end)), { timeoutMs: 60_000 });
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toContain(`stopped after ${(workload.records.length + 1).toLocaleString('en-US')} records`);
    const dead = new Set((await readTopic(logDir, 'events.dead-letter')).map((d) => d.headers['lk-source-offset']));
    expect(dead.size).toBe(workload.facts.malformed + 1);
  });

  it('refuses --alerts for a pipeline that declares no alert rules, saying what to add', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const p = lkSpeed(dataDir, ['--alerts']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('--alerts: the pipeline declares no alert rules');
  });

  it('refuses a namespace that does not exist, naming the existing ones, unless asked to create it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const views = await DuckDbViewStore.open(join(dataDir, 'views.duckdb'));
    await views.ensureNamespace('kappa_v1');
    await views.close();
    const typo = lkSpeed(dataDir, ['--namespace', 'kappa_v9']);
    expect(await typo.exited).toBe(2);
    expect(typo.stderr()).toMatch(/view namespace "kappa_v9" does not exist \(existing: kappa_v1\).*--create/);
    const created = lkSpeed(dataDir, ['--namespace', 'kappa_v9', '--create']);
    await waitFor(async () => created.stderr().includes('into namespace kappa_v9'), { timeoutMs: 30_000 });
    created.child.kill('SIGINT');
    expect(await created.exited).toBe(0);
  });

  it('writes side outputs by default for the speed namespace only; a Kappa version needs --side-outputs', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const logDir = join(dataDir, 'log');
    const log = await EmbeddedLog.open(logDir);
    await log.ensureTopic('events', 1);
    await log.append('events', [{ key: 'k', value: 'not json' }]);
    await log.close();
    const deadLetters = async () => (await readTopic(logDir, 'events.dead-letter')).length;
    /** Runs lk speed until it has committed the bad records, then stops it. */
    const runOnce = async (args: readonly string[], bad = 1) => {
      const p = lkSpeed(dataDir, args);
      await waitFor(async () => p.stderr().includes(`dead-letter ${bad}`), { timeoutMs: 30_000 });
      p.child.kill('SIGINT');
      expect(await p.exited).toBe(0);
    };
    await runOnce(['--namespace', 'kappa_v1', '--create']);
    expect(await deadLetters()).toBe(0);
    await runOnce([]);
    expect(await deadLetters()).toBe(1);
    const more = await EmbeddedLog.open(logDir);
    await more.append('events', [{ key: 'k', value: 'not json either' }]);
    await more.close();
    // The Kappa job writes the dead letter the topic lacks, and not the first one again (once per source offset).
    await runOnce(['--namespace', 'kappa_v2', '--create', '--side-outputs'], 2);
    expect(await deadLetters()).toBe(2);
  });

  it('refuses a commit interval of 0 and warns when the events topic has other partitions than LK_PARTITIONS', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const zero = lkSpeed(dataDir, ['--commit-interval-ms', '0']);
    expect(await zero.exited).toBe(2);
    expect(zero.stderr()).toContain('--commit-interval-ms: must be a whole number from 1 to');
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    await log.ensureTopic('events', 2);
    await log.close();
    const p = lkSpeed(dataDir, [], 6);
    await waitFor(async () => p.stderr().includes('Ctrl-C to stop'), { timeoutMs: 30_000 });
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toMatch(/speed: warning: topic "events" already exists with 2 partitions, not the 6 LK_PARTITIONS asks for/);
  });

  it('retires the panes the published batch covers, and only with a retention on the speed namespace', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const pipeline = compilePipeline(ecommerceConfig());
    const workload = generateWorkload({ seed: 3, events: 4_000, users: 60, products: 20, spanMs: 6 * 3_600_000 }, pipeline.config);
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    await log.ensureTopic('events', 1);
    await log.append('events', workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    await log.close();
    const bad = lkSpeed(dataDir, ['--namespace', 'kappa_v1', '--create', '--retention-ms', '0']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('only copy of its history');

    /** Runs lk speed until its stderr shows `until`, then stops it; its stderr. */
    const runSpeed = async (args: readonly string[], until: string) => {
      const p = lkSpeed(dataDir, args);
      await waitFor(async () => p.stderr().includes(until), { timeoutMs: 60_000 });
      p.child.kill('SIGINT');
      expect(await p.exited).toBe(0);
      return p.stderr();
    };
    const panes = async () => {
      const views = await DuckDbViewStore.open(join(dataDir, 'views.duckdb'));
      try {
        const all = await Promise.all(pipeline.views.map((v) => views.queryPanes('speed', { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })));
        return all.flat();
      } finally {
        await views.close();
      }
    };
    // Stopped once the group has read everything: a clean stop commits what it read to the view store.
    const first = lkSpeed(dataDir, []);
    const readLog = await EmbeddedLog.open(join(dataDir, 'log'));
    await waitFor(async () => (await readLog.committedOffsets('events', 'lk-speed')).get(0) === workload.records.length, { timeoutMs: 60_000 });
    await readLog.close();
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.stderr()).toContain(`stopped after ${workload.records.length.toLocaleString('en-US')} records`);
    expect(first.stderr()).not.toContain('retired');
    const before = await panes();
    // Publish a batch of the complete hours.
    for (const command of [['archive'], ['batch']]) {
      const p = spawn(process.execPath, ['cli/main.ts', ...command], { env: { ...process.env, LK_DATA_DIR: dataDir }, stdio: 'ignore' });
      expect(await new Promise((resolve) => p.on('exit', resolve))).toBe(0);
    }
    const kept = await runSpeed(['--no-retire'], 'Ctrl-C to stop');
    expect(kept).not.toContain('retired');
    expect((await panes()).length).toBe(before.length);
    const stderr = await runSpeed(['--retention-ms', '0'], 'retired');
    const m = /retired ([\d,]+) panes of buckets before (\S+) /.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const cutoff = Date.parse(m![2]);
    const after = await panes();
    expect(after.length).toBe(before.length - Number(m![1].replaceAll(',', '')));
    expect(after.every((p) => p.bucket >= cutoff)).toBe(true);
    expect(before.some((p) => p.bucket < cutoff)).toBe(true);
  });

  it('--from latest starts a new namespace at the end of the log; a namespace with checkpoints refuses a start position', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const logDir = join(dataDir, 'log');
    const log = await EmbeddedLog.open(logDir);
    await log.ensureTopic('events', 1);
    await log.append('events', [{ key: 'a', value: 'old bad record' }, { key: 'b', value: 'another old one' }]);
    const p = lkSpeed(dataDir, ['--namespace', 'kappa_v1', '--create', '--side-outputs', '--from', 'latest']);
    await waitFor(async () => p.stderr().includes('Ctrl-C to stop'), { timeoutMs: 30_000 });
    await log.append('events', [{ key: 'c', value: 'new bad record' }]);
    await log.close();
    await waitFor(async () => (await readTopic(logDir, 'events.dead-letter')).length > 0, { timeoutMs: 30_000 });
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
    expect((await readTopic(logDir, 'events.dead-letter')).map((d) => d.headers['lk-source-offset'])).toEqual(['2']);
    expect(p.stderr()).toContain('stopped after 1 records');

    const again = lkSpeed(dataDir, ['--namespace', 'kappa_v1', '--from', 'earliest']);
    expect(await again.exited).toBe(2);
    expect(again.stderr()).toContain('namespace "kappa_v1" already has checkpoints (partition@offset: 0@3)');
  });
});

describe('lk speed --metrics-port', () => {
  it('serves the backpressure gauges of the running job, with the bound given by --max-buffered-records', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-speed-cli-'));
    dirs.push(dataDir);
    const pipeline = compilePipeline(ecommerceConfig());
    const workload = generateWorkload({ seed: 12, events: 2_000, users: 40, products: 10, spanMs: 30 * 60_000 }, pipeline.config);
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    await log.ensureTopic('events', 1);
    await log.append('events', workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    await log.close();

    const p = lkSpeed(dataDir, ['--metrics-port', '0', '--max-buffered-records', '7000', '--no-retire']);
    await waitFor(async () => /metrics on (\S+)\/metrics/.test(p.stderr()), { timeoutMs: 30_000 });
    const url = /metrics on (\S+)\/metrics/.exec(p.stderr())![1];
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 200, { timeoutMs: 60_000 });
    const body = await (await fetch(`${url}/metrics`)).text();
    // Read from the job lk speed hosts (restarted after a fencing, so through its host): absent without the wiring.
    expect(body).toMatch(/^lk_speed_buffered_records_limit 7000$/m);
    expect(body).toMatch(/^lk_speed_buffered_records 0$/m);
    expect(body).toMatch(/^lk_speed_paused 0$/m);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);
  });
});
