import { describe, expect, it } from 'vitest';
import { PartitionProcessor } from '../../../shared/compute/partition-processor.ts';
import { paneIdString, type Pane } from '../../../shared/compute/pane.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { Random } from '../../../workload/random.ts';
import { randomWorkload, type GeneratedRecord } from '../../support/random-events.ts';
import { PaneStore } from '../support/pane-store.ts';
import { runPartitions } from '../support/run-partitions.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';
import { measureKindsPipeline } from '../support/measure-kinds-views.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);
const PIPELINE = compilePipeline(ecommerceConfig());
const { maxOutOfOrdernessMs: OOO, allowedLatenessMs: ALLOWED } = PIPELINE.config.lateness;

const KINDS_PIPELINE = measureKindsPipeline();

/**
 * A bulk load as the stream job runs it: processors emitting on window close, flushed at random
 * points; every flush's panes appended (an append of a pane already there fails, as the store's
 * index build would), then `flushAll` applied as the load's finishing commit.
 */
function runOnClose(records: readonly GeneratedRecord[], rng: Random, flushChance: number, pipeline = PIPELINE) {
  const appended = new Map<number, Map<string, Pane>>();
  const processors = new Map<number, PartitionProcessor>();
  let deletes = 0;
  const flush = (p: PartitionProcessor) => {
    const c = p.flush();
    deletes += c.deletes.length;
    let panes = appended.get(c.partition);
    if (!panes) appended.set(c.partition, (panes = new Map()));
    for (const pane of c.upserts) {
      const id = paneIdString(pane);
      if (panes.has(id)) throw new Error(`pane ${id} of partition ${c.partition} emitted twice`);
      panes.set(id, { ...pane, acc: pane.acc.slice() });
    }
  };
  for (const { record } of records) {
    let p = processors.get(record.partition);
    if (!p) processors.set(record.partition, (p = new PartitionProcessor(pipeline, record.partition, undefined, 'onWindowClose')));
    p.process(record);
    if (rng.chance(flushChance)) flush(p);
  }
  for (const p of processors.values()) flush(p);
  const store = new PaneStore();
  let appendedCount = 0;
  for (const [partition, p] of processors) {
    const closed = [...(appended.get(partition)?.values() ?? [])];
    appendedCount += closed.length;
    const last = p.flushAll();
    store.apply({ ...last, upserts: [...closed, ...last.upserts] });
  }
  return { store, processors, deletes, appendedCount };
}

describe('EmitStrategy onWindowClose', () => {
  it.each([
    ['the reference views', PIPELINE],
    ['views with every measure kind (object states included)', KINDS_PIPELINE],
  ])('stores exactly what onWindowUpdate stores over %s: the same panes, checkpoints and remembered ids, each closed pane emitted once', (_, pipeline) => {
    let appendedTotal = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const w = randomWorkload({ seed, events: 2_000, start: T, spanMs: 5 * 60 * MIN, maxDisorderMs: OOO + ALLOWED, duplicateRate: 0.05, stragglers: 20, partitions: 3 });
      const update = runPartitions(pipeline, w.records, new Random(seed));
      const close = runOnClose(w.records, new Random(seed), seed % 2 ? 0.02 : 0.2, pipeline);
      expect(close.deletes).toBe(0);
      appendedTotal += close.appendedCount;
      const sorted = (panes: Pane[]) => panes.map((p) => [paneIdString(p), p.end, p.acc, p.states] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      for (const partition of update.processors.keys()) {
        expect(sorted(close.store.partitionPanes(partition))).toEqual(sorted(update.store.partitionPanes(partition)));
        expect(close.store.checkpoint(partition)).toEqual(update.store.checkpoint(partition));
        const ids = (s: PaneStore) => {
          const { ids: list, times } = s.seenIds(partition);
          return list.map((id, i) => `${id}@${times[i]}`).sort();
        };
        expect(ids(close.store)).toEqual(ids(update.store));
      }
    }
    // Five hours of events: most buckets closed during the run, so panes went out as final appends, not only at the end.
    expect(appendedTotal).toBeGreaterThan(0);
  });
});
