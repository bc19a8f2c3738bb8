import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbViewStore } from '../../../infra/duckdb/duckdb-view-store.ts';
import { EmbeddedLog } from '../../../infra/embedded/embedded-log.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { viewFingerprint, viewSignatures } from '../../../shared/compute/view-signature.ts';
import type { ViewStore } from '../../../shared/ports/view-store.ts';
import { StreamJob } from '../../../speed/stream-job.ts';
import { generateWorkload } from '../../../examples/ecommerce/workload/generator.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { waitFor } from '../../support/wait-for.ts';

const dirs: string[] = [];
const topics = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const pipeline = compilePipeline(ecommerceConfig());

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** `lk <args>` over the embedded services in `dataDir`: exit code, stdout and stderr. */
function lk(dataDir: string, args: readonly string[]) {
  const child = spawn(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, LK_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => child.on('exit', (code) => res({ code, stdout, stderr })));
  return { child, done };
}

const run = (dataDir: string, args: readonly string[]) => lk(dataDir, args).done;

/** A namespace's windows per view, merged across partitions and buckets. */
async function windowsOf(store: ViewStore, namespace: string) {
  const out: Record<string, unknown> = {};
  for (const v of pipeline.views) {
    const panes = await store.queryPanes(namespace, { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
    out[v.name] = mergePanes(v, panes.map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
  }
  return out;
}

async function runToEnd(log: EmbeddedLog, views: ViewStore, namespace: string): Promise<void> {
  await (await new StreamJob({ log, views, pipeline, topics }, { namespace, from: { kind: 'earliest' }, stopAtEnd: true, sideOutputs: false }).start()).done;
}

describe('lk savepoint', () => {
  it('takes, lists, inspects and deletes savepoints; lk speed and lk replay start fresh namespaces from one, and a changed view is refused', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lk-savepoint-cli-'));
    dirs.push(dataDir);
    const workload = generateWorkload({ seed: 5, events: 3_000, users: 60, products: 15, spanMs: 40 * 60_000 }, pipeline.config);
    const half = Math.floor(workload.records.length / 2);
    const log = await EmbeddedLog.open(join(dataDir, 'log'));
    await log.ensureTopic('events', 2);
    const append = (from: number, to: number) => log.append('events', workload.records.slice(from, to).map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    await append(0, half);
    const viewsFile = join(dataDir, 'views.duckdb');
    let views = await DuckDbViewStore.open(viewsFile);
    await runToEnd(log, views, 'speed');
    const paneCounts = Object.fromEntries(await Promise.all(pipeline.views.map(async (v) => [v.name, (await views.queryPanes('speed', { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })).length])));
    const offsets = await views.checkpoints('speed');
    await views.close();

    const took = await run(dataDir, ['savepoint', 'take']);
    expect(took.code, took.stderr).toBe(0);
    const id = took.stdout.trim();
    expect(id).toMatch(/^sp_\d{14}_[a-z0-9]{4}$/);
    const listed = await run(dataDir, ['savepoint', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`^${id}  \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  speed\\s+2/2 partitions  3 views`, 'm'));
    const inspected = await run(dataDir, ['savepoint', 'inspect', '--id', id]);
    expect(inspected.code, inspected.stderr).toBe(0);
    for (const [p, cp] of offsets) expect(inspected.stdout).toMatch(new RegExp(`^${p}\\s+${cp.nextOffset}\\s`, 'm'));
    for (const [name, signature] of Object.entries(viewSignatures(pipeline))) {
      expect(inspected.stdout).toMatch(new RegExp(`^${name}\\s+${viewFingerprint(signature)}\\s+${paneCounts[name].toLocaleString('en-US')}\\s`, 'm'));
    }

    await append(half, workload.records.length);
    const end = await log.endOffsets('events');
    // A fresh namespace from the savepoint, continued live to the end of the log, then stopped.
    const speed = lk(dataDir, ['speed', '--from', `savepoint:${id}`, '--namespace', 'restored', '--no-retire']);
    await waitFor(async () => {
      const committed = await log.committedOffsets('events', 'lk-restored');
      return [...end].every(([p, o]) => committed.get(p) === o);
    }, { timeoutMs: 60_000 });
    speed.child.kill('SIGTERM');
    const stopped = await speed.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toMatch(new RegExp(`savepoint ${id} -> restored: 2 partitions; resumed product_activity, revenue, user_sessions; new none`));
    const replayed = await run(dataDir, ['replay', '--from', `savepoint:${id}`]);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(new RegExp(`savepoint ${id} -> kappa_v1`));

    const changed = join(dataDir, 'changed-pipeline.ts');
    await writeFile(changed, `import { ecommercePipeline } from ${JSON.stringify(resolve('examples/ecommerce/pipeline.ts'))};\nexport default ecommercePipeline({ productWindowMs: 120_000, revenueWindowMs: 600_000, revenueSlideMs: 60_000, sessionGapMs: 1_800_000 });\n`);
    const refused = await run(dataDir, ['speed', '--pipeline', changed, '--from', `savepoint:${id}`, '--namespace', 'changed', '--no-retire']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/view product_activity \(window changed\) differs .*--rebuild-changed/);

    views = await DuckDbViewStore.open(viewsFile);
    try {
      expect(await views.listNamespaces()).not.toContain('changed');
      await runToEnd(log, views, 'uninterrupted');
      const reference = await windowsOf(views, 'uninterrupted');
      expect(await windowsOf(views, 'restored')).toEqual(reference);
      expect(await windowsOf(views, 'kappa_v1')).toEqual(reference);
    } finally {
      await views.close();
      await log.close();
    }

    const deleted = await run(dataDir, ['savepoint', 'delete', '--id', id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await run(dataDir, ['savepoint', 'list'])).stdout).toBe('');
    const gone = await run(dataDir, ['savepoint', 'inspect', '--id', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(new RegExp(`no savepoint ${id}`));
  });
});
