import { describe, expect, it } from 'vitest';
import { batchMetrics } from '../../batch/batch-metrics.ts';
import type { BatchCycleResult } from '../../batch/batch-cycle.ts';
import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import type { QualityFailure } from '../../batch/quality-gate.ts';

const NOW = Date.UTC(2026, 0, 1, 12);
const HOUR = 3_600_000;

function result(valid: number, published?: { buckets: number[]; horizon: number | null }, failures: QualityFailure[] = []): BatchCycleResult {
  const quality = { skipped: false, failures, rejected: [...new Set(failures.map((f) => f.bucket))] };
  return { archived: { valid }, batch: published ? { published: true, ...published, quality } : null } as unknown as BatchCycleResult;
}

describe('batch metrics', () => {
  it('counts cycles by kind and outcome, times them, and follows the published horizon and its lag', async () => {
    const registry = prometheusMetrics({ defaultMetrics: false });
    let now = NOW;
    const m = batchMetrics(registry, () => now);
    m.setHorizon(NOW - 3 * HOUR);
    expect(m.caughtUp()).toBe(false);
    m.onStart('hourly');
    now += 2_500;
    m.onResult('hourly', result(120, { buckets: [NOW - 2 * HOUR, NOW - HOUR], horizon: NOW - HOUR }));
    m.onSkipped('daily');
    m.onStart('hourly');
    m.onError('hourly');
    m.onStart('hourly');
    m.onResult('hourly', result(5));
    now = NOW + 1_800_000;
    const body = (await registry.exposition()).body;
    expect(body).toContain('lk_batch_cycles_total{kind="hourly",outcome="ok"} 2');
    expect(body).toContain('lk_batch_cycles_total{kind="daily",outcome="skipped"} 1');
    expect(body).toContain('lk_batch_cycles_total{kind="hourly",outcome="failed"} 1');
    expect(body).toContain('lk_batch_cycle_duration_seconds_count{kind="hourly"} 3');
    expect(body).toContain('lk_batch_buckets_recomputed_total 2');
    expect(body).toContain('lk_batch_events_archived_total 125');
    // A cycle with nothing to recompute keeps the horizon; its lag is measured at scrape.
    expect(body).toContain(`lk_batch_horizon_timestamp_seconds ${(NOW - HOUR) / 1000}`);
    expect(body).toContain('lk_batch_horizon_lag_seconds 5400');
    expect(m.caughtUp()).toBe(true);
  });

  it("counts the quality gate's failed checks by view and check, and only the published hours as recomputed", async () => {
    const registry = prometheusMetrics({ defaultMetrics: false });
    const m = batchMetrics(registry, () => NOW);
    const failures: QualityFailure[] = [
      { view: 'revenue', bucket: NOW - 2 * HOUR, check: 'measures', detail: 'd' },
      { view: 'revenue', bucket: NOW - HOUR, check: 'measures', detail: 'd' },
      { view: null, bucket: NOW - HOUR, check: 'counts', detail: 'd' },
    ];
    m.onResult('hourly', result(0, { buckets: [NOW - 3 * HOUR, NOW - 2 * HOUR, NOW - HOUR], horizon: NOW - 2 * HOUR }, failures));
    const body = (await registry.exposition()).body;
    expect(body).toContain('lk_batch_quality_failures_total{view="revenue",check="measures"} 2');
    expect(body).toContain('lk_batch_quality_failures_total{view="*",check="counts"} 1');
    expect(body).toContain('lk_batch_buckets_recomputed_total 1');
  });
});
