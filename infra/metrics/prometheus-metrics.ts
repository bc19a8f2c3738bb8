import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterMetric, GaugeMetric, HistogramMetric, Labels, MetricsRegistry } from '../../shared/ports/metrics.ts';

/**
 * The MetricsRegistry over prom-client (the only file that imports it): one registry per process
 * role, with Node's default process metrics (CPU, memory, event-loop lag, GC) under `prefix`.
 */
export function prometheusMetrics(options: { readonly prefix?: string; readonly defaultMetrics?: boolean } = {}): MetricsRegistry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: options.prefix ?? '' });
  const labelled = (labels: Labels | undefined) => (labels ?? {}) as Record<string, string>;
  return {
    counter(name, help, labelNames = []): CounterMetric {
      const c = new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
      return { inc: (labels, by = 1) => c.inc(labelled(labels), by) };
    },
    gauge(name, help, labelNames = [], collect): GaugeMetric {
      const g: Gauge = new Gauge({
        name,
        help,
        labelNames: [...labelNames],
        registers: [registry],
        ...(collect ? { collect: () => collect(wrapper) } : {}),
      });
      const wrapper: GaugeMetric = { set: (labels, value) => g.set(labelled(labels), value), reset: () => g.reset() };
      return wrapper;
    },
    histogram(name, help, labelNames, buckets): HistogramMetric {
      const h = new Histogram({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [registry] });
      return { observe: (labels, value) => h.observe(labelled(labels), value) };
    },
    async exposition() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
