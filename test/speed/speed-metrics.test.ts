import { describe, expect, it } from 'vitest';
import { prometheusMetrics } from '../../infra/metrics/prometheus-metrics.ts';
import { startMetricsServer } from '../../infra/metrics/metrics-http-server.ts';
import { emptyStats, type PartitionCheckpoint } from '../../shared/compute/partition-processor.ts';
import { compilePipeline } from '../../shared/compute/pipeline.ts';
import type { FlowState } from '../../speed/buffer-bound.ts';
import { speedMetrics } from '../../speed/speed-metrics.ts';
import type { StreamProgress } from '../../speed/stream-job.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';

const pipeline = compilePipeline(ecommerceConfig());
const NOW = Date.UTC(2026, 0, 1, 12);

function progress(partition: number, nextOffset: number, highWatermark: number, maxEventTime: number, commitMs: number, records: number): StreamProgress {
  const checkpoint = { nextOffset, maxEventTime, watermarkProgress: maxEventTime, stats: { ...emptyStats(), valid: records, deadLetter: 2, tooLate: 1 } } as unknown as PartitionCheckpoint;
  return { partition, nextOffset, highWatermark, records, totals: checkpoint.stats, checkpoint, commitMs };
}

describe('speed metrics', () => {
  it('exposes records, lag and watermark per partition, verdict counts, commit durations and checkpoint age; ready once no partition lags', async () => {
    const registry = prometheusMetrics({ defaultMetrics: false });
    let now = NOW;
    const m = speedMetrics(registry, pipeline.config.lateness, () => now);
    m.onCommit(progress(0, 100, 150, NOW - 10_000, 12, 100));
    m.onCommit(progress(1, 40, 40, NOW - 20_000, 12, 100));
    expect(m.caughtUp()).toBe(false);
    now = NOW + 3_000;
    const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0, ready: () => m.caughtUp() });
    try {
      const body = await (await fetch(`${server.url}/metrics`)).text();
      expect(body).toContain('lk_speed_records_total 100');
      expect(body).toContain('lk_speed_consumer_lag_records{partition="0"} 50');
      expect(body).toContain('lk_speed_consumer_lag_records{partition="1"} 0');
      // Watermark = progress - 5 s of out-of-orderness; its lag is measured from the clock at scrape.
      expect(body).toContain(`lk_speed_watermark_timestamp_seconds{partition="0"} ${(NOW - 15_000) / 1000}`);
      expect(body).toContain('lk_speed_watermark_lag_seconds{partition="1"} 28');
      expect(body).toContain('lk_speed_checkpoint_age_seconds{partition="0"} 3');
      expect(body).toContain('lk_speed_records{verdict="dead_letter"} 2');
      // One coalesced write of both partitions is one commit.
      expect(body).toContain('lk_speed_commit_duration_seconds_count 1');
      expect((await fetch(`${server.url}/ready`)).status).toBe(503);
      m.onCommit(progress(0, 150, 150, NOW - 1_000, 8, 150));
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('exposes backpressure as the running job reports it at scrape: paused, buffered records and their bound, pauses and time paused', async () => {
    const registry = prometheusMetrics({ defaultMetrics: false });
    const m = speedMetrics(registry, pipeline.config.lateness, () => NOW);
    const flow: FlowState = { bufferedRecords: 95_000, peakBufferedRecords: 99_000, maxBufferedRecords: 100_000, paused: true, pauses: 3, pausedMs: 1_500 };
    m.watchFlow(() => flow);
    const body = (await registry.exposition()).body;
    expect(body).toContain('lk_speed_paused 1');
    expect(body).toContain('lk_speed_buffered_records 95000');
    expect(body).toContain('lk_speed_buffered_records_limit 100000');
    expect(body).toContain('lk_speed_pauses 3');
    expect(body).toContain('lk_speed_paused_seconds 1.5');
  });
});
