import { describe, expect, it } from 'vitest';
import { computeGroundTruth } from '../../compare/ground-truth.ts';
import { reconcileLedger } from '../../demo/reconcile-ledger.ts';
import { LateLedgerBuilder } from '../../shared/compute/late-ledger.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const T = Date.UTC(2026, 0, 1, 10);
const pipeline = compilePipeline(ecommerceConfig());
const rec = (id: string, type: string, user: string, eventTime: number, appendedAt: number) => ({
  value: JSON.stringify({ event_id: id, event_type: type, user_id: user, product_id: 'p', event_time: eventTime, ...(type === 'page_view' ? {} : { price: 1, quantity: 1 }) }),
  timestamp: appendedAt,
});
const records = [
  rec('a', 'page_view', 'u', T + 100_000, T + 100_000),
  rec('x', 'purchase', 'u', T + 110_000, T + 110_000),
  rec('b', 'page_view', 'v', T + 90_000, T + 110_000), // late within
  rec('c', 'purchase', 'v', T + 10_000, T + 110_000), // too late
];

function ledgerOf(rs: typeof records) {
  const b = new LateLedgerBuilder(pipeline);
  for (const r of rs) b.observe(0, r);
  return b.finish([]);
}

describe('reconcileLedger', () => {
  it('holds the ledger to the truth per view and window, besides the totals', async () => {
    const truth = await computeGroundTruth(pipeline, records);
    const r = reconcileLedger(pipeline, ledgerOf(records), truth, { speedTooLate: 1, lateTopic: 1 });
    expect(r.checks.filter((c) => c.expected !== c.actual)).toEqual([]);
    expect(r.reconciled).toBe(true);
    // Every view's windows; revenue and user_sessions have a count without a filter (orders, events), product_activity has none.
    expect(r.checks.map((c) => c.what).filter((w) => w.includes('per window'))).toEqual([
      "revenue: events per window in the ledger = the truth's orders",
      "user_sessions: events per window in the ledger = the truth's events",
    ]);
    // product_activity: the minutes of c and of a, x, b; revenue: the 10-minute windows holding either purchase; a session each for u and v.
    expect(r.checks.filter((c) => c.what.includes('windows in the ledger = windows of the truth')).map((c) => c.expected)).toEqual([2, 11, 2]);
  });

  it('is not reconciled when a window of the ledger holds other events than the truth’s', async () => {
    // The truth without the too-late purchase: the totals differ by one, and so do revenue's windows and v's session.
    const truth = await computeGroundTruth(pipeline, records.slice(0, 3));
    const r = reconcileLedger(pipeline, ledgerOf(records), truth, { speedTooLate: 1, lateTopic: 1 });
    expect(r.reconciled).toBe(false);
    const failed = r.checks.filter((c) => c.expected !== c.actual).map((c) => c.what);
    expect(failed).toContain('events in the ledger = distinct valid events of the truth');
    expect(failed).toContain("user_sessions: events per window in the ledger = the truth's events");
    expect(failed).toContain('revenue: windows in the ledger = windows of the truth');
  });
});
