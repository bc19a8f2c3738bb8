import { describe, expect, it } from 'vitest';
import type { CatchUp } from '../../../shared/compute/catch-up.ts';
import { emptyStats, PartitionProcessor, type PartitionCheckpoint, type SourceRecord } from '../../../shared/compute/partition-processor.ts';
import type { Pane } from '../../../shared/compute/pane.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { SavepointError } from '../../../shared/errors.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());
const T0 = Date.UTC(2026, 0, 1);

/** n on-time page views of one product, a second apart, offsets 0..n-1: every one is valid. */
const records: SourceRecord[] = Array.from({ length: 12 }, (_, i) => ({
  partition: 0,
  offset: i,
  timestamp: T0 + i * 1000,
  value: JSON.stringify({ event_id: `e${i}`, event_type: 'page_view', user_id: 'u1', product_id: 'p1', event_time: new Date(T0 + i * 1000).toISOString() }),
}));

function fresh(catchUp?: CatchUp): PartitionCheckpoint {
  return { partition: 0, nextOffset: 0, maxEventTime: null, watermarkProgress: null, lastAppendTime: null, stats: emptyStats(), catchUp };
}

/** Runs records through a processor, flushing after each: the panes of one view by its last version, and the checkpoints. */
function run(cp: PartitionCheckpoint, input: readonly SourceRecord[]) {
  const proc = new PartitionProcessor(pipeline, 0, { checkpoint: cp, panes: [] });
  const panes = new Map<string, Pane>();
  const checkpoints: PartitionCheckpoint[] = [];
  for (const r of input) {
    proc.process(r);
    const c = proc.flush();
    for (const p of [...c.inserts, ...c.upserts]) panes.set(`${p.view}|${p.key}|${p.start}|${p.bucket}`, p);
    checkpoints.push(c.checkpoint);
  }
  const of = (view: string) => [...panes.values()].filter((p) => p.view === view).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
  return { of, checkpoints };
}

describe('PartitionProcessor catching views up (a job started from a savepoint)', () => {
  it('folds a view only from its first offset on, the record just before it excluded, and the others from the start', () => {
    const caught = run(fresh({ viewsFrom: { product_activity: 5 } }), records);
    const plain = run(fresh(), records);
    const fromFive = run(fresh(), records.slice(5));
    expect(caught.of('product_activity')).toEqual(fromFive.of('product_activity'));
    expect(caught.of('product_activity')).not.toEqual(plain.of('product_activity'));
    expect(caught.of('user_sessions')).toEqual(plain.of('user_sessions'));
    // The checkpoint carries the views' starts until the partition is past them, so a restart keeps them.
    expect(caught.checkpoints.map((c) => c.catchUp !== undefined)).toEqual([true, true, true, true, false, false, false, false, false, false, false, false]);
  });

  it('a restart from a checkpoint written mid-way keeps each view\'s start', () => {
    const first = run(fresh({ viewsFrom: { product_activity: 7 } }), records.slice(0, 3));
    const rest = run(first.checkpoints.at(-1)!, records);
    const whole = run(fresh({ viewsFrom: { product_activity: 7 } }), records);
    expect(rest.checkpoints.at(-1)).toEqual(whole.checkpoints.at(-1));
    expect(rest.of('product_activity')).toEqual(whole.of('product_activity'));
  });

  it('checks the state it reaches at the savepoint\'s offset: equal, the resumed views go on; different, it stops naming what differs', () => {
    const reached = run(fresh(), records.slice(0, 6)).checkpoints.at(-1)!;
    const state = { maxEventTime: reached.maxEventTime, watermarkProgress: reached.watermarkProgress, lastAppendTime: reached.lastAppendTime, stats: reached.stats };
    const ok = run(fresh({ viewsFrom: { product_activity: 6 }, expect: { offset: 6, state } }), records);
    expect(ok.checkpoints.at(-1)!.catchUp).toBeUndefined();
    expect(ok.checkpoints[4].catchUp?.expect).toEqual({ offset: 6, state });
    const wrong = { ...state, stats: { ...state.stats, valid: state.stats.valid + 1 } };
    expect(() => run(fresh({ viewsFrom: { product_activity: 6 }, expect: { offset: 6, state: wrong } }), records)).toThrow(SavepointError);
    expect(() => run(fresh({ viewsFrom: { product_activity: 6 }, expect: { offset: 6, state: wrong } }), records)).toThrow(/partition 0 reached the savepoint's offset 6 in another state \(valid count 6, the savepoint's 7\)/);
  });

  it('restores a resumed view\'s panes that are final at the savepoint\'s state no more, a new view\'s as usual', () => {
    const state = { maxEventTime: T0 + 5 * 3_600_000, watermarkProgress: T0 + 5 * 3_600_000, lastAppendTime: T0 + 5 * 3_600_000, stats: emptyStats() };
    const cp = fresh({ viewsFrom: { product_activity: 100 }, expect: { offset: 100, state } });
    const old = (view: string): Pane => ({ view, key: 'p1', start: T0, end: T0 + 60_000, bucket: T0, acc: [1, 0, 0, 0] });
    expect(PartitionProcessor.needsRestore(pipeline, cp, old('product_activity'))).toBe(false);
    // Another view reads from the partition's start, with a watermark that starts from nothing.
    expect(PartitionProcessor.needsRestore(pipeline, cp, old('user_sessions'))).toBe(true);
    expect(PartitionProcessor.needsRestore(pipeline, cp, { ...old('product_activity'), bucket: T0 + 5 * 3_600_000, start: T0 + 5 * 3_600_000, end: T0 + 5 * 3_600_000 + 60_000 })).toBe(true);
    // The floor stays the lowest any view needs, so retention never drops what a restart reads.
    expect(PartitionProcessor.restoreFloor(pipeline, cp)).toBe(Number.MIN_SAFE_INTEGER);
  });
});
