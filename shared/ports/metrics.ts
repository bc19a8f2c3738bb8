/**
 * The metrics port: counters, gauges and histograms a process exposes for Prometheus to scrape.
 * Adapter: infra/metrics/prometheus-metrics.ts (prom-client). Label values are strings; names
 * follow Prometheus conventions (seconds, `_total` for counters).
 */
export type Labels = Readonly<Record<string, string>>;

export interface CounterMetric {
  inc(labels?: Labels, by?: number): void;
}

export interface GaugeMetric {
  set(labels: Labels, value: number): void;
  /** Drops every labelled value (before a collect sets the current ones). */
  reset(): void;
}

export interface HistogramMetric {
  observe(labels: Labels, value: number): void;
}

export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): CounterMetric;
  /** `collect` runs at every scrape, before the value is read, to set it from the current state. */
  gauge(name: string, help: string, labelNames?: readonly string[], collect?: (g: GaugeMetric) => void | Promise<void>): GaugeMetric;
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): HistogramMetric;
  /** The text exposition of every metric, and its content type. */
  exposition(): Promise<{ readonly contentType: string; readonly body: string }>;
}

/** Latency buckets (seconds) for request and commit durations: 0.5 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
