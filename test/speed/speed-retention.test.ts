import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../../infra/embedded/embedded-log.ts';
import { paneIdString } from '../../shared/compute/pane.ts';
import { PartitionProcessor } from '../../shared/compute/partition-processor.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { TopicNames } from '../../shared/config.ts';
import type { StoredPane, ViewStore } from '../../shared/ports/view-store.ts';
import { HOUR_MS } from '../../shared/time/bucket.ts';
import { assertRetiringNamespace, retireCoveredPanes, retirementCutoff } from '../../speed/speed-retention.ts';
import { StreamJob } from '../../speed/stream-job.ts';
import { generateWorkload } from '../../examples/ecommerce/workload/generator.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';

const topics: TopicNames = { events: 'events', deadLetter: 'events.dead-letter', late: 'events.late' };
const pipeline = compilePipeline(ecommerceConfig());
const T0 = Date.UTC(2026, 0, 5);
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('retirementCutoff', () => {
  it('is the bucket `retention` below the horizon, floored to a bucket', () => {
    expect(retirementCutoff(T0 + 10 * HOUR_MS, 3 * HOUR_MS, [], HOUR_MS)).toBe(T0 + 7 * HOUR_MS);
    expect(retirementCutoff(T0 + 10 * HOUR_MS, 90 * 60_000, [], HOUR_MS)).toBe(T0 + 8 * HOUR_MS);
  });

  it('retires nothing before the first publish', () => {
    expect(retirementCutoff(null, 0, [], HOUR_MS)).toBeUndefined();
  });

  it('never goes above the lowest bucket a partition could restore', () => {
    expect(retirementCutoff(T0 + 10 * HOUR_MS, 0, [T0 + 9 * HOUR_MS, T0 + 4 * HOUR_MS], HOUR_MS)).toBe(T0 + 4 * HOUR_MS);
    // A partition with no watermark yet could restore anything.
    expect(retirementCutoff(T0 + 10 * HOUR_MS, 0, [Number.MIN_SAFE_INTEGER], HOUR_MS)).toBeUndefined();
  });

  it('refuses a Kappa namespace: a version is the only copy of its history', () => {
    expect(() => assertRetiringNamespace('kappa_v1')).toThrow(/only copy of its history/);
    expect(() => assertRetiringNamespace('speed')).not.toThrow();
  });
});

/** Every stored pane of the speed namespace, by id and partition. */
async function storedPanes(store: ViewStore): Promise<Map<string, StoredPane>> {
  const out = new Map<string, StoredPane>();
  for (const v of pipeline.views) {
    for (const p of await store.queryPanes('speed', { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER })) out.set(`${p.partition}\u0000${paneIdString(p)}`, p);
  }
  return out;
}

describe('retireCoveredPanes', () => {
  it('drops the covered buckets, keeps every pane a restart restores and every pane at or above the horizon', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lk-retire-'));
    dirs.push(dir);
    const log = await EmbeddedLog.open(dir);
    await log.ensureTopic(topics.events, 2);
    const workload = generateWorkload({ seed: 5, events: 8_000, users: 120, products: 30, spanMs: 8 * HOUR_MS, startTime: T0 }, pipeline.config);
    await log.append(topics.events, workload.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
    const store = new InMemoryViewStore();
    const job = new StreamJob({ log, views: store, pipeline, topics }, { namespace: 'speed', from: { kind: 'earliest' }, stopAtEnd: true, sideOutputs: false });
    await (await job.start()).done;
    await log.close();

    const before = await storedPanes(store);
    const checkpoints = await store.checkpoints('speed');
    const restored = (panes: Map<string, StoredPane>) =>
      [...panes.entries()].filter(([, p]) => PartitionProcessor.needsRestore(pipeline, checkpoints.get(p.partition)!, p)).map(([id]) => id).sort();
    // A horizon at the newest bucket and no retention: only the restore floor holds retirement back.
    const horizon = Math.max(...[...before.values()].map((p) => p.bucket));
    const { cutoff, dropped } = await retireCoveredPanes(store, pipeline, horizon, 0);
    const after = await storedPanes(store);

    expect(cutoff).toBeDefined();
    expect(cutoff).toBeLessThan(horizon);
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBe(before.size - after.size);
    expect([...after.values()].every((p) => p.bucket >= cutoff!)).toBe(true);
    expect([...before.values()].filter((p) => p.bucket >= cutoff!).length).toBe(after.size);
    expect(restored(after)).toEqual(restored(before));
    expect(restored(before).length).toBeGreaterThan(0);
  });
});
