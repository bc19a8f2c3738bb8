import { describe, expect, it } from 'vitest';
import { PartitionProcessor, type SourceRecord } from '../../../shared/compute/partition-processor.ts';
import { compilePipeline, type Pipeline } from '../../../shared/compute/pipeline.ts';
import { foldEvents } from '../../../shared/compute/reference-fold.ts';
import { type EcommerceEvent as Event } from '../../../examples/ecommerce/pipeline.ts';
import { Random } from '../../../workload/random.ts';
import { randomWorkload, type GeneratedRecord } from '../../support/random-events.ts';
import { mergedViews } from '../support/merged-views.ts';
import { PaneStore } from '../support/pane-store.ts';
import { runPartitions } from '../support/run-partitions.ts';
import { measureKindsPipeline } from '../support/measure-kinds-views.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const MIN = 60_000;
const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(ecommerceConfig());
const { maxOutOfOrdernessMs: OOO, allowedLatenessMs: ALLOWED } = pipeline.config.lateness;

const json = (e: Partial<Event> & { event_time: number | string }, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ event_id: `e${e.event_time}`, event_type: 'page_view', user_id: 'u1', product_id: 'p1', ...e, ...extra });
const rec = (offset: number, value: string, timestamp = T, partition = 0): SourceRecord => ({ partition, offset, timestamp, value });

/**
 * The verdict on every record, by the documented rules written out independently of the
 * processor: per partition, a repeated id is a duplicate; otherwise an event earlier than
 * (progress - maxOutOfOrderness - allowedLateness) is late; otherwise accepted. The progress is
 * the max over the valid records before it of min(event time, append time + maxAheadOfAppend).
 */
function expectedVerdicts(p: Pipeline, records: readonly GeneratedRecord[]): Map<GeneratedRecord, 'accepted' | 'late' | 'duplicate'> {
  const { maxOutOfOrdernessMs, allowedLatenessMs, maxAheadOfAppendMs } = p.config.lateness;
  const max = new Map<number, number>();
  const seen = new Map<number, Set<string>>();
  const out = new Map<GeneratedRecord, 'accepted' | 'late' | 'duplicate'>();
  for (const r of records) {
    const part = r.record.partition;
    if (!seen.has(part)) seen.set(part, new Set());
    const ids = seen.get(part)!;
    const t = r.event.event_time;
    if (ids.has(r.event.event_id)) out.set(r, 'duplicate');
    else if (t < (max.get(part) ?? -Infinity) - maxOutOfOrdernessMs - allowedLatenessMs) out.set(r, 'late');
    else out.set(r, 'accepted');
    max.set(part, Math.max(max.get(part) ?? -Infinity, Math.min(t, r.record.timestamp + maxAheadOfAppendMs)));
    ids.add(r.event.event_id);
  }
  return out;
}

describe('PartitionProcessor: records', () => {
  it('sends invalid records to the dead letters with their rejection, and counts them', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, '{nope'));
    p.process(rec(1, json({ event_time: T, event_type: 'purchase' })));
    p.process(rec(2, json({ event_time: T })));
    const c = p.flush();
    expect(c.deadLetters.map((d) => [d.record.offset, d.rejection.code])).toEqual([
      [0, 'malformed_json'],
      [1, 'missing_field'],
    ]);
    expect(p.stats).toEqual({ valid: 1, deadLetter: 2, duplicate: 0, tooLate: 0 });
    expect(p.flush().deadLetters).toEqual([]);
  });

  it('skips records below its next offset (redeliveries) without counting them', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, json({ event_id: 'a', event_time: T })));
    p.process(rec(1, json({ event_id: 'b', event_time: T })));
    p.process(rec(0, json({ event_id: 'a', event_time: T })));
    expect(p.nextOffset).toBe(2);
    expect(p.stats).toEqual({ valid: 2, deadLetter: 0, duplicate: 0, tooLate: 0 });
  });

  it('reports the append-time range of the records of each flush', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, json({ event_time: T }), T + 10));
    p.process(rec(1, '{', T + 5));
    expect(p.flush().appendedBetween).toEqual([T + 5, T + 10]);
    expect(p.flush().appendedBetween).toBeNull();
  });

  it('checkpoints the next offset, the max event time (null before any event) and the counts', () => {
    const p = new PartitionProcessor(pipeline, 3);
    expect(p.checkpoint()).toEqual({ partition: 3, nextOffset: 0, maxEventTime: null, watermarkProgress: null, lastAppendTime: null, stats: { valid: 0, deadLetter: 0, duplicate: 0, tooLate: 0 } });
    p.process(rec(7, json({ event_id: 'a', event_time: T }), T + 1_000, 3));
    const change = p.flush();
    // The record was appended 1 s after its event time: the checkpoint keeps that append time (idleness).
    expect(change.checkpoint).toEqual({ partition: 3, nextOffset: 8, maxEventTime: T, watermarkProgress: T, lastAppendTime: T + 1_000, stats: { valid: 1, deadLetter: 0, duplicate: 0, tooLate: 0 } });
    expect(change.dedup.added).toEqual({ ids: ['a'], times: [T] });
  });
});

describe('PartitionProcessor: lateness', () => {
  it('accepts an event exactly at lateBefore and sends one 1 ms earlier to the late output, with its record', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, json({ event_id: 'max', event_time: T })));
    const lateBefore = T - OOO - ALLOWED;
    p.process(rec(1, json({ event_id: 'edge', event_time: lateBefore })));
    p.process(rec(2, json({ event_id: 'late', event_time: lateBefore - 1 })));
    const c = p.flush();
    expect(p.stats).toMatchObject({ valid: 2, tooLate: 1 });
    expect(c.late).toHaveLength(1);
    expect(c.late[0]).toMatchObject({ record: { offset: 2 }, event: { event_id: 'late', event_time: lateBefore - 1 }, lateBefore });
    const views = mergedViews(pipeline, [...c.inserts, ...c.upserts]);
    expect(views.product_activity.map((w) => [w.start, w.acc[0]])).toEqual([
      [lateBefore - (lateBefore % MIN), 1],
      [T, 1],
    ]);
  });

  it('accepts an event in time in any order within maxOutOfOrderness + allowedLateness', () => {
    const p = new PartitionProcessor(pipeline, 0);
    [T, T - OOO - ALLOWED, T - 1_000, T + 500, T + 500 - OOO - ALLOWED].forEach((t, i) => p.process(rec(i, json({ event_id: `e${i}`, event_time: t }))));
    expect(p.stats).toMatchObject({ valid: 5, tooLate: 0 });
  });

  it('keeps one watermark per partition: an event late in one partition is in time in another', () => {
    const ahead = new PartitionProcessor(pipeline, 0);
    const behind = new PartitionProcessor(pipeline, 1);
    ahead.process(rec(0, json({ event_id: 'a', event_time: T + 60 * MIN }), T + 60 * MIN));
    behind.process(rec(0, json({ event_id: 'b', event_time: T }), T, 1));
    ahead.process(rec(1, json({ event_id: 'c', event_time: T })));
    behind.process(rec(1, json({ event_id: 'd', event_time: T - 1_000 }), T, 1));
    expect(ahead.stats).toMatchObject({ valid: 1, tooLate: 1 });
    expect(behind.stats).toMatchObject({ valid: 2, tooLate: 0 });
    expect(behind.watermark.maxEventTime).toBe(T);
  });

  it('one event a day ahead of its append time does not make the next 100 normal events too late; it is counted itself', () => {
    const p = new PartitionProcessor(pipeline, 0);
    const future = T + 23 * 60 * MIN;
    p.process(rec(0, json({ event_id: 'future', event_time: future, event_type: 'purchase' }, { price: 5, quantity: 1 }), T));
    // Normal traffic: each event a few seconds to half a minute behind its append time.
    const normal = Array.from({ length: 100 }, (_, k) => T + (k + 1) * 1_000 - ((k + 1) % 7) * 5_000);
    normal.forEach((t, k) => p.process(rec(k + 1, json({ event_id: `n${k + 1}`, event_time: t }), T + (k + 1) * 1_000)));
    const c = p.flush();
    expect(p.stats).toEqual({ valid: 101, deadLetter: 0, duplicate: 0, tooLate: 0 });
    expect(c.late).toEqual([]);
    expect(p.watermark.maxEventTime).toBe(future);
    // The watermark follows the normal events; the outlier moved it to no more than its append time + 5 s.
    expect(p.watermark.current).toBe(Math.max(...normal, T + 5_000) - OOO);
    expect(c.checkpoint).toMatchObject({ maxEventTime: future, watermarkProgress: Math.max(...normal) });
    // The outlier is in its windows.
    const revenue = mergedViews(pipeline, [...c.inserts, ...c.upserts]).revenue;
    const holding = revenue.filter((w) => w.start <= future && future < w.end).map((w) => w.acc[0]);
    expect(holding.length).toBeGreaterThan(0);
    expect(new Set(holding)).toEqual(new Set([500]));
  });

  it('moves the watermark to the outlier once the log catches up with it (its append time comes near its event time)', () => {
    const p = new PartitionProcessor(pipeline, 0);
    const future = T + 60 * MIN;
    p.process(rec(0, json({ event_id: 'future', event_time: future }), T));
    p.process(rec(1, json({ event_id: 'then', event_time: future }), future));
    p.process(rec(2, json({ event_id: 'old', event_time: T }), future));
    expect(p.stats).toMatchObject({ valid: 2, tooLate: 1 });
  });

  it('resumes the capped watermark from its checkpoint: a restart after the outlier still finds the next events in time', () => {
    const first = new PartitionProcessor(pipeline, 0);
    first.process(rec(0, json({ event_id: 'future', event_time: T + 23 * 60 * MIN }), T));
    const c = first.flush();
    const resumed = new PartitionProcessor(pipeline, 0, { checkpoint: c.checkpoint, panes: [...c.inserts, ...c.upserts] });
    for (let i = 1; i <= 100; i++) resumed.process(rec(i, json({ event_id: `n${i}`, event_time: T + i * 1_000 - 30_000 }), T + i * 1_000));
    expect(resumed.stats).toEqual({ valid: 101, deadLetter: 0, duplicate: 0, tooLate: 0 });
  });

  it('resumes a checkpoint written before watermarkProgress existed with the watermark of its max event time', () => {
    const cp = { partition: 0, nextOffset: 1, maxEventTime: T, stats: { valid: 1, deadLetter: 0, duplicate: 0, tooLate: 0 } };
    const p = new PartitionProcessor(pipeline, 0, { checkpoint: cp, panes: [] });
    expect(p.watermark.current).toBe(T - OOO);
    p.process(rec(1, json({ event_id: 'late', event_time: T - OOO - ALLOWED - 1 }), T));
    expect(p.stats.tooLate).toBe(1);
    expect(p.checkpoint()).toMatchObject({ maxEventTime: T, watermarkProgress: T });
  });

  it('moves the watermark by every valid record, duplicates and too-late ones included, so a reader without dedup gets the same one', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, json({ event_id: 'a', event_time: T + 60 * MIN }), T));
    // A redelivered copy appended an hour later: a duplicate, but its append time lets the event move the watermark.
    p.process(rec(1, json({ event_id: 'a', event_time: T + 60 * MIN }), T + 60 * MIN));
    expect(p.stats).toMatchObject({ valid: 1, duplicate: 1 });
    expect(p.watermark.current).toBe(T + 60 * MIN - OOO);
  });

  it('judges lateness against event times, not against append times or offsets', () => {
    const p = new PartitionProcessor(pipeline, 0);
    p.process(rec(0, json({ event_id: 'a', event_time: T }), T + 10 * MIN));
    p.process(rec(1, json({ event_id: 'b', event_time: T - 30_000 }), T + 20 * MIN));
    expect(p.stats).toMatchObject({ valid: 2, tooLate: 0 });
  });
});

describe('PartitionProcessor vs foldEvents', () => {
  const splits = [
    { partitions: 1, partitionBy: 'user' },
    { partitions: 2, partitionBy: 'user' },
    { partitions: 3, partitionBy: 'event' },
    { partitions: 5, partitionBy: 'user' },
    { partitions: 4, partitionBy: 'event' },
  ] as const;

  it.each(splits)('equals foldEvents exactly when no event is beyond allowed lateness ($partitions partitions by $partitionBy)', ({ partitions, partitionBy }) => {
    let deletes = 0;
    for (const seed of [1, 2, 3, 4]) {
      // Disorder up to the full bound: every event is exactly as late as still allowed, or less.
      const maxDisorderMs = seed % 2 ? OOO : OOO + ALLOWED;
      const w = randomWorkload({ seed: seed * 10 + partitions, events: 1_500, start: T, spanMs: 3 * 60 * MIN, maxDisorderMs, duplicateRate: 0.05, partitions, partitionBy });
      const run = runPartitions(pipeline, w.records, new Random(seed));
      const stats = [...run.processors.values()].map((p) => p.stats);
      expect(stats.reduce((n, s) => n + s.tooLate, 0)).toBe(0);
      expect(stats.reduce((n, s) => n + s.valid, 0)).toBe(w.events.length);
      expect(stats.reduce((n, s) => n + s.duplicate, 0)).toBe(w.records.length - w.events.length);
      deletes += run.changes.reduce((n, c) => n + c.deletes.length, 0);
      expect(mergedViews(pipeline, run.store.allPanes())).toEqual(mergedViews(pipeline, foldEvents(pipeline, w.events)));
    }
    // Out-of-order events did move or merge sessions, so applying deletes was exercised.
    expect(deletes).toBeGreaterThan(0);
  });

  it.each(splits)('differs from foldEvents by exactly the late events ($partitions partitions by $partitionBy)', ({ partitions, partitionBy }) => {
    for (const seed of [5, 6, 7]) {
      const w = randomWorkload({
        seed: seed * 10 + partitions,
        events: 1_500,
        start: T,
        spanMs: 3 * 60 * MIN,
        maxDisorderMs: OOO,
        duplicateRate: 0.05,
        stragglers: 60,
        stragglerLagMs: ALLOWED,
        partitions,
        partitionBy,
      });
      const run = runPartitions(pipeline, w.records, new Random(seed));
      const verdicts = expectedVerdicts(pipeline, w.records);
      const expectedLate = w.records.filter((r) => verdicts.get(r) === 'late').map((r) => r.record);
      const accepted = w.records.filter((r) => verdicts.get(r) === 'accepted').map((r) => r.event);
      expect(expectedLate.length).toBeGreaterThan(0);

      const late = run.changes.flatMap((c) => c.late);
      const byPosition = (a: SourceRecord, b: SourceRecord) => a.partition - b.partition || a.offset - b.offset;
      expect(late.map((l) => l.record).sort(byPosition)).toEqual(expectedLate.sort(byPosition));
      for (const l of late) expect(l.event.event_time).toBeLessThan(l.lateBefore);
      const stats = [...run.processors.values()].map((p) => p.stats);
      expect(stats.reduce((n, s) => n + s.tooLate, 0)).toBe(expectedLate.length);
      expect(stats.reduce((n, s) => n + s.valid, 0)).toBe(accepted.length);

      const processed = mergedViews(pipeline, run.store.allPanes());
      expect(processed).toEqual(mergedViews(pipeline, foldEvents(pipeline, accepted)));
      expect(processed).not.toEqual(mergedViews(pipeline, foldEvents(pipeline, w.events)));
    }
  });
});

describe('PartitionProcessor restarts', () => {
  /**
   * Runs each partition with crashes: after a random record the processor flushes into the store
   * (as the stream job commits), is dropped, and a new one is restored from the stored checkpoint
   * and the panes `needsRestore` picks; the log then redelivers from an earlier offset.
   */
  function runWithRestarts(p: Pipeline, records: readonly GeneratedRecord[], rng: Random, restarts: number): { store: PaneStore; processors: PartitionProcessor[] } {
    const store = new PaneStore();
    const processors: PartitionProcessor[] = [];
    for (const partition of new Set(records.map((r) => r.record.partition))) {
      const log = records.filter((r) => r.record.partition === partition).map((r) => r.record);
      let proc = new PartitionProcessor(p, partition);
      let i = 0;
      for (let k = 0; k < restarts; k++) {
        const crashAt = rng.int(i, log.length);
        for (; i < crashAt; i++) proc.process(log[i]);
        // Half the time the crash loses work done since the last commit: it is redone from the log.
        if (rng.chance(0.5)) store.apply(proc.flush());
        const cp = store.checkpoint(partition);
        proc = cp
          ? new PartitionProcessor(p, partition, { checkpoint: cp, panes: store.partitionPanes(partition).filter((pane) => PartitionProcessor.needsRestore(p, cp, pane)), seen: store.seenIds(partition) })
          : new PartitionProcessor(p, partition);
        i = Math.max(0, proc.nextOffset - rng.int(0, 30));
        if (rng.chance(0.3)) store.apply(proc.flush());
      }
      for (; i < log.length; i++) proc.process(log[i]);
      store.apply(proc.flush());
      processors.push(proc);
    }
    return { store, processors };
  }

  it.each([
    ['the reference views', pipeline],
    ['views with every measure kind (object states restored too)', measureKindsPipeline()],
  ])('resumes from its checkpoint and stored panes to exactly the answer of an uninterrupted run, over %s', (_, pipeline) => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const w = randomWorkload({ seed, events: 1_500, start: T, spanMs: 3 * 60 * MIN, maxDisorderMs: OOO + ALLOWED, duplicateRate: 0.05, duplicateDistance: 50, partitions: 3 });
      const { store, processors } = runWithRestarts(pipeline, w.records, new Random(seed), 4);
      expect(mergedViews(pipeline, store.allPanes())).toEqual(mergedViews(pipeline, foldEvents(pipeline, w.events)));
      // Counts survive restarts too: every event once, every redelivered copy a duplicate (copies
      // come within the dedup retention here; dedup.test.ts covers copies that come later).
      expect(processors.reduce((n, p) => n + p.stats.valid, 0)).toBe(w.events.length);
      expect(processors.reduce((n, p) => n + p.stats.duplicate, 0)).toBe(w.records.length - w.events.length);
    }
  });

  it('restores only panes that can still change', () => {
    const cp = { partition: 0, nextOffset: 1, maxEventTime: T + 3 * 60 * MIN, stats: { valid: 1, deadLetter: 0, duplicate: 0, tooLate: 0 } };
    const lateBefore = T + 3 * 60 * MIN - OOO - ALLOWED;
    const pane = (view: string, bucket: number) => ({ view, key: 'k', start: bucket, end: bucket + MIN, bucket, acc: [] });
    // revenue reaches 10 minutes past its bucket, user_sessions 30.
    expect(PartitionProcessor.needsRestore(pipeline, cp, pane('revenue', lateBefore - 70 * MIN))).toBe(false);
    expect(PartitionProcessor.needsRestore(pipeline, cp, pane('revenue', lateBefore - 70 * MIN + 1))).toBe(true);
    expect(PartitionProcessor.needsRestore(pipeline, cp, pane('user_sessions', lateBefore - 80 * MIN))).toBe(true);
    expect(PartitionProcessor.needsRestore(pipeline, cp, pane('user_sessions', lateBefore - 90 * MIN))).toBe(false);
  });
});
