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
});
