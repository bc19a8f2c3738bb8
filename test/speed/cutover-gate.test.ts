import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import type { Pane } from '../../shared/compute/pane.ts';
import { ecommerceConfig, ecommerceViews } from '../support/ecommerce.ts';
import { compilePipeline, type Pipeline } from '../../shared/compute/pipeline.ts';
import { DEFAULT_VIEW_OPTIONS } from '../../examples/ecommerce/pipeline.ts';
import type { TopicNames } from '../../shared/config.ts';
import type { BatchSnapshot } from '../../serving/batch-pane-source.ts';
import { LateFootprint } from '../../shared/compute/late-footprint.ts';
import { describeVerdict, gateCutover } from '../../speed/cutover-gate.ts';
import { ev } from '../serving/support/layer-fixtures.ts';
import { rollback } from '../../speed/kappa-cutover.ts';
import { runKappaReplay } from '../../speed/kappa-replay.ts';
import { KAPPA_ALIAS } from '../../speed/kappa-version.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { PartitionProcessor } from '../../shared/compute/partition-processor.ts';
import { partitionCommitOf } from '../../shared/ports/view-store.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const pipeline = compilePipeline(ecommerceConfig());
// The same views but product windows of 2 minutes instead of 1: a changed definition.
const changed = compilePipeline(ecommerceConfig({ views: ecommerceViews({ ...DEFAULT_VIEW_OPTIONS, productWindowMs: 120_000 }) }));
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'lk-gate-'));
  dirs.push(dir);
  const log = await EmbeddedLog.open(dir);
  await log.ensureTopic(topics.events, 2);
  const w = generateWorkload({ seed: 21, events: 5_000, users: 600, products: 25, spanMs: 4 * 3_600_000 }, pipeline.config);
  await log.append(topics.events, w.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
  const views = new InMemoryViewStore();
  const replay = (p: Pipeline, options: Parameters<typeof runKappaReplay>[1] = {}) => runKappaReplay({ log, views, pipeline: p, topics }, options);
  return { log, views, replay };
}

/** A batch snapshot made of a namespace's panes below a horizon, with `tamper` applied to them. */
async function batchOf(views: InMemoryViewStore, namespace: string, horizon: number, tamper: (panes: Pane[]) => void = () => undefined): Promise<BatchSnapshot> {
  const all = new Map<string, Pane[]>();
  for (const v of pipeline.views) {
    const panes = (await views.queryPanes(namespace, { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })).filter((p) => p.bucket < horizon).map((p) => ({ ...p, acc: p.acc.slice() }));
    tamper(panes);
    all.set(v.name, panes);
  }
  return { runId: 'test', horizon, panes: async (q) => all.get(q.view)!.filter((p) => p.start < q.to && p.end > q.from) };
}

describe('the Kappa cut-over gate', () => {
  it('cuts over a version equal to the one serving, refuses a changed one with the diff, --force overrides, rollback restores', async () => {
    const { log, views, replay } = await setup();
    const v1 = await replay(pipeline);
    expect(v1.cutOver).toBe(true);
    const v2 = await replay(pipeline);
    expect(v2.cutOver).toBe(true);
    const same = v2.verdict!.diffs.filter((d) => d.reference === 'kappa_v1');
    expect(same.map((d) => d.view).sort()).toEqual(pipeline.views.map((v) => v.name).sort());
    expect(same.every((d) => d.compared > 0 && d.differing === 0)).toBe(true);

    const v3 = await replay(changed);
    expect(v3.cutOver).toBe(false);
    expect(await views.getAlias(KAPPA_ALIAS)).toBe('kappa_v2');
    const product = v3.verdict!.diffs.find((d) => d.view === 'product_activity')!;
    expect(product.differing).toBeGreaterThan(0);
    expect(product.samples.length).toBeGreaterThan(0);
    // Views whose definition did not change still agree.
    expect(v3.verdict!.diffs.find((d) => d.view === 'revenue')!.differing).toBe(0);
    const text = describeVerdict(v3.namespace, v3.verdict!);
    expect(text).toMatch(/product_activity vs kappa_v2: [\d,]+ of [\d,]+ final windows differ .*<- over/);
    expect(text).toMatch(/key p-\d+ \[/);
    // The refused version is kept for a look, not served.
    expect(await views.listNamespaces()).toContain('kappa_v3');

    const forced = await replay(changed, { force: true });
    expect(forced.cutOver).toBe(true);
    expect(forced.verdict!.ok).toBe(false);
    expect(await views.getAlias(KAPPA_ALIAS)).toBe(forced.namespace);
    // Back to what served before the forced one (the refused kappa_v3 was dropped by that cut-over).
    expect(await rollback(views)).toEqual({ from: forced.namespace, to: 'kappa_v2' });
    await log.close();
  });

  it('against batch, tolerates the share of windows its threshold allows and refuses more', async () => {
    const { log, views, replay } = await setup();
    const v1 = await replay(pipeline);
    const horizon = Math.max(...(await views.queryPanes(v1.namespace, { view: 'revenue', from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })).map((p) => p.bucket));
    const equal = await gateCutover({ views, pipeline, batch: await batchOf(views, v1.namespace, horizon) }, v1.namespace, undefined);
    expect(equal.ok, describeVerdict(v1.namespace, equal)).toBe(true);
    const batchDiffs = equal.diffs.filter((d) => d.reference === 'batch');
    expect(batchDiffs.every((d) => d.compared > 0 && d.differing === 0), describeVerdict(v1.namespace, equal)).toBe(true);

    // One product window off by one view: within 1%, over a threshold of 0.
    const tampered = await batchOf(views, v1.namespace, horizon, (panes) => {
      if (panes[0]?.view === 'product_activity') panes[0].acc[0] += 1;
    });
    const loose = await gateCutover({ views, pipeline, batch: tampered }, v1.namespace, undefined, { maxDivergence: 0, maxBatchDivergence: 0.01 });
    const d = loose.diffs.find((x) => x.view === 'product_activity' && x.reference === 'batch')!;
    expect(d.differing).toBe(1);
    expect(d.divergence).toBeLessThan(0.01);
    expect(loose.ok).toBe(true);
    const strict = await gateCutover({ views, pipeline, batch: tampered }, v1.namespace, undefined);
    expect(strict.ok).toBe(false);
    expect(describeVerdict(v1.namespace, strict)).toMatch(/product_activity vs batch: 1 of [\d,]+ final windows differ/);
    await log.close();
  });

  it('rollback needs an older finished version', async () => {
    const { log, views, replay } = await setup();
    await expect(rollback(views)).rejects.toThrow(/points at no version yet/);
    await replay(pipeline);
    await expect(rollback(views)).rejects.toThrow(/no older finished version is kept/);
    await log.close();
  });

  it('does not count against batch the windows a too-late event falls in: the stream lacks those by design', async () => {
    const { log, views, replay } = await setup();
    const v1 = await replay(pipeline);
    const horizon = Math.max(...(await views.queryPanes(v1.namespace, { view: 'revenue', from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })).map((p) => p.bucket));
    let tamperedAt: { key: string; start: number } | undefined;
    const tampered = await batchOf(views, v1.namespace, horizon, (panes) => {
      if (panes[0]?.view !== 'product_activity') return;
      panes[0].acc[0] += 1;
      tamperedAt = { key: panes[0].key, start: panes[0].start };
    });
    // A too-late page view of that product, in that window: batch counts it, the stream does not.
    const late = ev('page_view', 'u-late', tamperedAt!.key, tamperedAt!.start + 1);
    const explained = await gateCutover({ views, pipeline, batch: tampered, late: new LateFootprint(pipeline, [late]) }, v1.namespace, undefined);
    const d = explained.diffs.find((x) => x.view === 'product_activity' && x.reference === 'batch')!;
    expect(d).toMatchObject({ differing: 0, explainedByLate: 1 });
    expect(explained.ok).toBe(true);
    // One elsewhere explains nothing.
    const elsewhere = ev('page_view', 'u-late', `${tamperedAt!.key}-other`, tamperedAt!.start + 1);
    expect((await gateCutover({ views, pipeline, batch: tampered, late: new LateFootprint(pipeline, [elsewhere]) }, v1.namespace, undefined)).ok).toBe(false);
    await log.close();
  });
});

describe('the gate against a serving version that lags on one partition', () => {
  it('compares only the windows settled in every partition of the serving version, so a lagging partition that looks idle is no divergence', async () => {
    const w = generateWorkload({ seed: 23, events: 4_000, users: 300, products: 20, spanMs: 4 * 3_600_000 }, pipeline.config);
    const partitionOfKey = (key: string | null) => [...(key ?? '')].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 2;
    const byPartition: { value: string; timestamp: number }[][] = [[], []];
    for (const r of w.records) byPartition[partitionOfKey(r.key)].push({ value: r.value, timestamp: r.timestamp });
    const views = new InMemoryViewStore();
    // kappa_v2 has read everything; the live kappa_v1 all of partition 0 but only the first fifth of
    // partition 1, whose last append is then hours behind partition 0's: it looks idle.
    for (const [namespace, share1] of [['kappa_v2', 1], ['kappa_v1', 0.2]] as const) {
      await views.ensureNamespace(namespace);
      const commits = byPartition.map((records, partition) => {
        const proc = new PartitionProcessor(pipeline, partition);
        const n = partition === 1 ? Math.floor(records.length * share1) : records.length;
        records.slice(0, n).forEach((r, offset) => proc.process({ partition, offset, timestamp: r.timestamp, value: r.value }));
        return partitionCommitOf(proc.flush());
      });
      await views.commit(namespace, commits);
    }
    const verdict = await gateCutover({ views, pipeline }, 'kappa_v2', 'kappa_v1');
    expect(verdict.ok, describeVerdict('kappa_v2', verdict)).toBe(true);
    // Not vacuous: the windows compared hold events.
    expect(verdict.diffs.some((d) => d.skipped === undefined && d.compared > 0)).toBe(true);
  });
});
