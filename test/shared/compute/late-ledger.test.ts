import { describe, expect, it } from 'vitest';
import { LateLedgerBuilder } from '../../../shared/compute/late-ledger.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const H = 3_600_000;
const T = Date.UTC(2026, 0, 1, 10);
const policy = { maxOutOfOrdernessMs: 5_000, allowedLatenessMs: 60_000, maxAheadOfAppendMs: 5_000 };
const pipeline = compilePipeline(ecommerceConfig({ lateness: policy, bucketMs: H }));
const rec = (id: string, eventTime: number, appendedAt: number) => ({
  value: JSON.stringify({ event_id: id, event_type: 'page_view', user_id: 'u', product_id: 'p', event_time: eventTime }),
  timestamp: appendedAt,
});

describe('late-event ledger', () => {
  it('puts every distinct valid event in one state: on time, late within the allowed lateness, too late, absorbed by the batch run after it', () => {
    const b = new LateLedgerBuilder(pipeline);
    b.observe(0, rec('a', T + 100_000, T + 100_000)); // on time; watermark T + 95 s
    b.observe(0, rec('b', T + 90_000, T + 100_000)); // behind the watermark, within 60 s: late within
    b.observe(0, rec('b', T + 90_000, T + 100_000)); // duplicate: not an event
    b.observe(0, rec('c', T + 20_000, T + 100_000)); // behind 95 - 60 = 35 s: too late
    b.observe(0, { value: 'not json', timestamp: T + 100_000 });
    b.observe(1, rec('d', T + 20_000, T + 30_000)); // another partition, its own watermark: on time
    b.observe(0, rec('e', T - 10 * 60_000, T + 100_000)); // too late, in the previous hour
    const ledger = b.finish([
      { runId: 'r-before', at: T + 50_000, buckets: [T] }, // before c arrived: cannot absorb it
      { runId: 'r-hour', at: T + H + 6 * 60_000, buckets: [T] },
    ]);
    expect(ledger.events).toBe(5);
    expect(ledger.totals).toEqual({ onTime: 2, lateWithin: 1, tooLate: 1, absorbed: 1 });
    expect(ledger.absorbedByRun).toEqual({ 'r-hour': 1 });
    expect(ledger.byBucket).toEqual([
      { bucket: T - H, onTime: 0, lateWithin: 0, tooLate: 1, absorbed: 0 },
      { bucket: T, onTime: 2, lateWithin: 1, tooLate: 0, absorbed: 1 },
    ]);
  });

  it('moves the watermark by every valid record, duplicates too, as the stream does', () => {
    const b = new LateLedgerBuilder(pipeline);
    b.observe(0, rec('a', T, T));
    b.observe(0, rec('a', T + 200_000, T + 200_000)); // a duplicate id with a later time still moves it
    b.observe(0, rec('c', T + 100_000, T + 200_000)); // 100 s behind progress 200 s: too late
    expect(b.finish([]).totals).toEqual({ onTime: 1, lateWithin: 0, tooLate: 1, absorbed: 0 });
  });

  it('keeps the states per view and window: fixed windows summed over keys, sessions per key, absorbed events moved in every window they are in', () => {
    const b = new LateLedgerBuilder(pipeline);
    const purchase = (id: string, eventTime: number, appendedAt: number) => ({
      value: JSON.stringify({ event_id: id, event_type: 'purchase', user_id: 'u', product_id: 'q', price: 2.5, quantity: 1, event_time: eventTime }),
      timestamp: appendedAt,
    });
    b.observe(0, rec('a', T + 100_000, T + 100_000)); // on time
    b.observe(0, purchase('x', T + 100_000, T + 100_000)); // on time, another product
    b.observe(0, rec('b', T + 90_000, T + 100_000)); // late within
    b.observe(0, rec('c', T + 20_000, T + 100_000)); // too late, absorbed below
    b.observe(0, rec('e', T - 600_000, T + 100_000)); // too late, never absorbed
    b.observe(0, {
      value: JSON.stringify({ event_id: 'v1', event_type: 'page_view', user_id: 'v', product_id: 'p', event_time: T + 3 * H }),
      timestamp: T + 3 * H,
    }); // on time, another user, hours later
    const ledger = b.finish([{ runId: 'r-hour', at: T + H + 6 * 60_000, buckets: [T] }]);
    const none = { onTime: 0, lateWithin: 0, tooLate: 0, absorbed: 0 };
    const M = 60_000;
    expect(ledger.byWindow.product_activity).toEqual([
      { start: T - 10 * M, end: T - 9 * M, ...none, tooLate: 1 },
      { start: T, end: T + M, ...none, absorbed: 1 },
      { start: T + M, end: T + 2 * M, ...none, onTime: 2, lateWithin: 1 },
      { start: T + 3 * H, end: T + 3 * H + M, ...none, onTime: 1 },
    ]);
    // Purchases only, in the ten 10-minute windows sliding by a minute that hold T + 100 s.
    expect(ledger.byWindow.revenue).toEqual(Array.from({ length: 10 }, (_, i) => ({ start: T + (i - 8) * M, end: T + (i + 2) * M, ...none, onTime: 1 })));
    // u's events are all less than the 30-minute gap apart: one session from its first to its last + 30 min.
    expect(ledger.byWindow.user_sessions).toEqual([
      { key: 'u', start: T - 10 * M, end: T + 100_000 + 30 * M, onTime: 2, lateWithin: 1, tooLate: 1, absorbed: 1 },
      { key: 'v', start: T + 3 * H, end: T + 3 * H + 30 * M, ...none, onTime: 1 },
    ]);
    expect(ledger.totals).toEqual({ onTime: 3, lateWithin: 1, tooLate: 1, absorbed: 1 });
  });
});
