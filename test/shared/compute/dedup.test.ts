import { describe, expect, it } from 'vitest';
import { DedupSet, dedupCutoff } from '../../../shared/compute/dedup.ts';
import { PartitionProcessor, type SourceRecord } from '../../../shared/compute/partition-processor.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { mergedViews } from '../support/merged-views.ts';
import { PaneStore } from '../support/pane-store.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(ecommerceConfig());
const RETENTION = pipeline.config.dedupRetentionMs;
const OOO = pipeline.config.lateness.maxOutOfOrdernessMs;

const rec = (offset: number, id: string, t: number, type = 'purchase'): SourceRecord => ({
  partition: 0,
  offset,
  timestamp: t,
  value: JSON.stringify({ event_id: id, event_type: type, user_id: 'u1', product_id: 'p1', price: 10, quantity: 1, event_time: t }),
});
const revenueOf = (panes: Parameters<typeof mergedViews>[1]) => mergedViews(pipeline, panes).product_activity.reduce((n, w) => n + w.acc[3], 0);

describe('DedupSet', () => {
  const NONE = Number.NEGATIVE_INFINITY;

  it('reports a repeated id as a duplicate', () => {
    const d = new DedupSet(RETENTION);
    expect(d.add('a', T, NONE)).toBe(true);
    expect(d.add('a', T, NONE)).toBe(false);
    expect(d.add('b', T, NONE)).toBe(true);
    expect(d.size).toBe(2);
  });

  it('forgets an id first seen before the cutoff, keeps one exactly at it', () => {
    const d = new DedupSet(RETENTION);
    d.add('old', T, NONE);
    d.add('edge', T + 1, NONE);
    const cutoff = dedupCutoff(T + 1 + RETENTION, RETENTION);
    expect(cutoff).toBe(T + 1);
    expect(d.remembered(cutoff)).toEqual(['edge']);
    expect(d.add('old', T, cutoff)).toBe(true);
    expect(d.add('edge', T + 1, cutoff)).toBe(false);
  });

  it('remembers an id seen behind the watermark for the retention after it was seen, not after its event time', () => {
    const d = new DedupSet(RETENTION);
    const watermark = T + 2 * RETENTION;
    const cutoff = dedupCutoff(watermark, RETENTION);
    // Its event time is already below the cutoff: remembered from the watermark it was seen at.
    expect(d.add('old', T, cutoff)).toBe(true);
    expect(d.drainAdded()).toEqual({ ids: ['old'], times: [watermark] });
    expect(d.add('old', T, cutoff)).toBe(false);
    expect(d.add('old', T, dedupCutoff(watermark + RETENTION, RETENTION))).toBe(false);
    expect(d.add('old', T, dedupCutoff(watermark + RETENTION + 1, RETENTION))).toBe(true);
  });

  it('decides by the cutoff, not by when memory was swept', () => {
    const unswept = new DedupSet(RETENTION);
    const swept = new DedupSet(RETENTION);
    for (const d of [unswept, swept]) d.add('a', T, NONE);
    swept.sweep(T + 1);
    expect(swept.size).toBe(0);
    expect(unswept.size).toBe(1);
    expect(unswept.add('a', T, T + 1)).toBe(swept.add('a', T, T + 1));
  });

  it('sweeps at most once per quarter retention of cutoff progress', () => {
    const d = new DedupSet(RETENTION);
    d.add('a', T, NONE);
    d.sweep(T + 1);
    expect(d.size).toBe(0);
    d.add('b', T, NONE);
    // Too soon after the last sweep: 'b' is forgotten but its memory stays until the next one.
    d.sweep(T + RETENTION / 4);
    expect(d.size).toBe(1);
    d.sweep(T + 1 + RETENTION / 4);
    expect(d.size).toBe(0);
  });

  it('hands out each newly seen id once, as the changelog of the next commit', () => {
    const d = new DedupSet(RETENTION);
    d.add('a', T, NONE);
    d.add('a', T, NONE);
    d.add('b', T + 1, NONE);
    expect(d.drainAdded()).toEqual({ ids: ['a', 'b'], times: [T, T + 1] });
    expect(d.drainAdded()).toEqual({ ids: [], times: [] });
  });

  it('resumes from a changelog; an id listed twice keeps its later time', () => {
    const resumed = new DedupSet(RETENTION, { ids: ['a', 'b', 'b'], times: [T, T, T + 5] });
    expect(resumed.add('a', T, NONE)).toBe(false);
    expect(resumed.remembered(T + 1)).toEqual(['b']);
  });
});

describe('PartitionProcessor dedup', () => {
  it('counts a duplicate within a run once', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, 'a', T));
    p.process(rec(1, 'b', T + 1_000));
    p.process(rec(2, 'a', T));
    const c = p.flush();
    expect(p.stats).toMatchObject({ valid: 2, duplicate: 1, tooLate: 0 });
    expect(revenueOf([...c.inserts, ...c.upserts])).toBe(2_000);
  });

  it('recognises ids seen before a restart and skips redelivered offsets', () => {
    const store = new PaneStore();
    const first = new PartitionProcessor(pipeline, 0);
    first.process(rec(0, 'a', T));
    first.process(rec(1, 'b', T + 1_000));
    store.apply(first.flush());

    const resumed = new PartitionProcessor(pipeline, 0, store.restore(0));
    resumed.process(rec(0, 'a', T)); // redelivered offsets: skipped
    resumed.process(rec(1, 'b', T + 1_000));
    resumed.process(rec(2, 'c', T + 2_000));
    resumed.process(rec(3, 'a', T)); // a new record repeating an event from before the restart
    store.apply(resumed.flush());
    expect(resumed.stats).toMatchObject({ valid: 3, duplicate: 1, tooLate: 0 });
    expect(revenueOf(store.allPanes())).toBe(3_000);
  });

  it('treats a late copy of a counted event as a duplicate, not as a late event', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, 'a', T));
    p.process(rec(1, 'b', T + 5 * MIN));
    p.process(rec(2, 'a', T));
    const c = p.flush();
    expect(T).toBeLessThan(p.watermark.lateBefore);
    expect(p.stats).toMatchObject({ valid: 2, duplicate: 1, tooLate: 0 });
    expect(c.late).toEqual([]);
  });

  it('after the retention, sends a copy to the late output, never counting it twice', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, 'a', T));
    p.process(rec(1, 'b', T + OOO + RETENTION + 1));
    const stored = p.flush();
    // The flush says which ids a store may forget: 'a' is before the cutoff.
    expect(stored.dedup.forgetBefore).toBeGreaterThan(T);
    expect(stored.dedup.forgetBefore).toBeLessThanOrEqual(T + 1_000);
    p.process(rec(2, 'a', T));
    const c = p.flush();
    // Forgetting is safe because retention >= maxOutOfOrderness + allowedLateness: the copy is too late.
    expect(T).toBeLessThan(p.watermark.lateBefore);
    expect(p.stats).toMatchObject({ valid: 2, duplicate: 0, tooLate: 1 });
    expect(c.late.map((l) => l.event.event_id)).toEqual(['a']);
    expect(revenueOf([...stored.inserts, ...stored.upserts, ...c.inserts, ...c.upserts])).toBe(2_000);
  });

  it('drops a duplicate of an event that was itself too late', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, 'max', T));
    p.process(rec(1, 'x', T - 10 * MIN));
    p.process(rec(2, 'x', T - 10 * MIN));
    expect(p.stats).toMatchObject({ valid: 1, duplicate: 1, tooLate: 1 });
  });

  it('counts a too-late event and its redelivery within the retention once each: 1 too late, 1 duplicate, across a restart too', () => {
    // The event time is further behind the watermark than the retention: by event time it would be forgotten at once.
    const farBehind = T - OOO - RETENTION - 10 * MIN;
    const uninterrupted = new PartitionProcessor(pipeline, 0);
    uninterrupted.process(rec(0, 'max', T));
    uninterrupted.process(rec(1, 'x', farBehind));
    uninterrupted.process(rec(2, 'y', T + 1_000));
    uninterrupted.process(rec(3, 'x', farBehind));
    expect(uninterrupted.stats).toMatchObject({ valid: 2, duplicate: 1, tooLate: 1 });
    expect(uninterrupted.flush().late.map((l) => l.record.offset)).toEqual([1]);

    const store = new PaneStore();
    const first = new PartitionProcessor(pipeline, 0);
    first.process(rec(0, 'max', T));
    first.process(rec(1, 'x', farBehind));
    store.apply(first.flush());
    const resumed = new PartitionProcessor(pipeline, 0, store.restore(0));
    resumed.process(rec(2, 'y', T + 1_000));
    resumed.process(rec(3, 'x', farBehind));
    expect(resumed.stats).toEqual(uninterrupted.stats);
  });
});
