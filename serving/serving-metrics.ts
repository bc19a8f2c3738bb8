import { LATENCY_BUCKETS, type HistogramMetric, type MetricsRegistry } from '../shared/ports/metrics.ts';
import type { QueryService } from './query-service.ts';

/** What the serve process knows about its loaded batch (batch/batch-view-index.ts). */
export interface LoadedBatchInfo {
  /** Panes held in memory per view. */
  sizes(): Record<string, number>;
  /** When the manifest was last read successfully (epoch ms). */
  readonly lastCheck: number | undefined;
}

/** The serve process's metrics: request latency per route, mode and status, and the state it serves, read at each scrape. */
export interface ServingMetrics {
  readonly registry: MetricsRegistry;
  readonly requests: HistogramMetric;
}

/**
 * Registers the serving metrics. Latency: `lk_serving_request_duration_seconds{route,mode,status}`.
 * At each scrape, from the service's status: the batch horizon, the stream watermark and its lag
 * behind the clock, records read, dead-letter and too-late counts per namespace; from the loaded
 * batch: panes in memory per view and the age of the last manifest check.
 */
export function servingMetrics(registry: MetricsRegistry, service: QueryService, batch?: LoadedBatchInfo): ServingMetrics {
  const requests = registry.histogram('lk_serving_request_duration_seconds', 'HTTP request latency by route, serving mode and status', ['route', 'mode', 'status'], LATENCY_BUCKETS);
  // One status read per scrape feeds every namespace gauge (collect runs per gauge; the read is cached for a second).
  let cached: { at: number; status: ReturnType<QueryService['status']> } | undefined;
  const status = () => {
    const now = service.now();
    if (!cached || now - cached.at > 1_000) cached = { at: now, status: service.status() };
    return cached.status;
  };
  const seconds = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso) / 1000);
  registry.gauge('lk_batch_horizon_timestamp_seconds', 'the published batch horizon (events before it are served from batch)', [], async (g) => {
    g.set({}, seconds((await status()).batchHorizon));
  });
  const perNamespace = (name: string, help: string, value: (n: Awaited<ReturnType<QueryService['status']>>['namespaces'][number], now: number) => number) =>
    registry.gauge(name, help, ['namespace'], async (g) => {
      g.reset();
      const s = await status();
      for (const n of s.namespaces) g.set({ namespace: n.namespace }, value(n, Date.parse(s.asOf)));
    });
  perNamespace('lk_stream_watermark_timestamp_seconds', 'the streaming namespace watermark (min over partitions)', (n) => seconds(n.watermark));
  perNamespace('lk_stream_watermark_lag_seconds', 'how far the watermark is behind the wall clock', (n, now) => (now - Date.parse(n.watermark ?? '')) / 1000);
  perNamespace('lk_stream_records_read', 'records the namespace has read (sum of next offsets)', (n) => n.recordsRead);
  perNamespace('lk_stream_dead_letter_records', 'records sent to the dead-letter topic', (n) => n.totals.deadLetter);
  perNamespace('lk_stream_too_late_records', 'events too late for their windows (sent to the late topic)', (n) => n.totals.tooLate);
  registry.gauge('lk_serving_stream_reads', 'streaming-side pane reads by where they were answered (cache: no commit since the same read)', ['from'], (g) => {
    const s = service.streamCacheStats();
    g.set({ from: 'cache' }, s.hits);
    g.set({ from: 'store' }, s.misses);
  });
  registry.gauge('lk_serving_answers', 'answers by whether they were computed or reused (same query over the same batch run and stream generation)', ['from'], (g) => {
    const s = service.answerCacheStats();
    g.set({ from: 'cache' }, s.hits);
    g.set({ from: 'computed' }, s.misses);
  });
  if (batch) {
    registry.gauge('lk_batch_panes', 'published batch panes held in memory by view', ['view'], (g) => {
      g.reset();
      for (const [view, n] of Object.entries(batch.sizes())) g.set({ view }, n);
    });
    registry.gauge('lk_batch_manifest_check_age_seconds', 'time since the batch manifest was last read', [], (g) => {
      g.set({}, batch.lastCheck === undefined ? Number.NaN : (Date.now() - batch.lastCheck) / 1000);
    });
  }
  return { registry, requests };
}
