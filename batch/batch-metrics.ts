import { LATENCY_BUCKETS, type MetricsRegistry } from '../shared/ports/metrics.ts';
import type { BatchCycleResult } from './batch-cycle.ts';
import type { BatchCycleKind } from './batch-schedule.ts';

/** The batch schedule's metrics, fed by scheduleBatch's callbacks (`lk batch --schedule --metrics-port`). */
export interface BatchMetrics {
  /** The horizon published before this process started (read from the manifest), until a cycle publishes. */
  setHorizon(horizon: number | null): void;
  onStart(kind: BatchCycleKind): void;
  onResult(kind: BatchCycleKind, result: BatchCycleResult): void;
  onSkipped(kind: BatchCycleKind): void;
  onError(kind: BatchCycleKind): void;
  /** Whether a cycle has finished since start: the catch-up is done and the manifest is as current as the master dataset allows. */
  caughtUp(): boolean;
}

/** Cycle durations reach minutes (a daily recompute), beyond the latency buckets. */
const CYCLE_BUCKETS: readonly number[] = [...LATENCY_BUCKETS, 30, 60, 120, 300, 600, 1_800];

/**
 * Registers the batch layer's metrics: cycles by kind and outcome, their duration, hours
 * recomputed, events archived, the published horizon and its lag behind the wall clock (set at
 * scrape; the figure to alert on: an hourly schedule keeps it between about one and two hours),
 * when a cycle last succeeded, and the quality gate's failed checks.
 */
export function batchMetrics(registry: MetricsRegistry, clock: () => number = Date.now, options: { readonly horizonGauge?: boolean } = {}): BatchMetrics {
  const cycles = registry.counter('lk_batch_cycles_total', 'batch cycles by kind (hourly, daily) and outcome (ok, failed, skipped: the previous one still ran)', ['kind', 'outcome']);
  const duration = registry.histogram('lk_batch_cycle_duration_seconds', 'duration of one batch cycle (archive, recompute, publish)', ['kind'], CYCLE_BUCKETS);
  const buckets = registry.counter('lk_batch_buckets_recomputed_total', 'hours recomputed and published');
  const archived = registry.counter('lk_batch_events_archived_total', 'valid events copied from the log into the master dataset');
  // Off where serving shares the registry (`lk run`): its own gauge of the same name reads the horizon it serves.
  const horizonGauge = (options.horizonGauge ?? true) ? registry.gauge('lk_batch_horizon_timestamp_seconds', 'the published batch horizon (Lambda serves batch below it)') : undefined;
  const qualityFailures = registry.counter('lk_batch_quality_failures_total', 'checks the batch quality gate failed, by view (* for an hour\'s input) and check; the hours were not published', ['view', 'check']);
  const success = registry.gauge('lk_batch_last_success_timestamp_seconds', 'when a batch cycle last finished without error');
  let horizon: number | null = null;
  registry.gauge('lk_batch_horizon_lag_seconds', 'how far the published batch horizon is behind the wall clock', [], (g) => {
    g.set({}, horizon === null ? Number.NaN : (clock() - horizon) / 1000);
  });
  const started = new Map<BatchCycleKind, number>();
  let finished = false;
  const elapsed = (kind: BatchCycleKind) => {
    const at = started.get(kind);
    started.delete(kind);
    if (at !== undefined) duration.observe({ kind }, (clock() - at) / 1000);
  };
  const setHorizon = (h: number | null) => {
    horizon = h;
    horizonGauge?.set({}, h === null ? Number.NaN : h / 1000);
  };
  return {
    setHorizon,
    onStart(kind) {
      started.set(kind, clock());
    },
    onResult(kind, r) {
      elapsed(kind);
      cycles.inc({ kind, outcome: 'ok' });
      archived.inc({}, r.archived.valid);
      for (const f of r.batch?.quality.failures ?? []) qualityFailures.inc({ view: f.view ?? '*', check: f.check });
      if (r.batch?.published) {
        const rejected = new Set(r.batch.quality.rejected);
        buckets.inc({}, r.batch.buckets.filter((b) => !rejected.has(b)).length);
        setHorizon(r.batch.horizon);
      }
      success.set({}, clock() / 1000);
      finished = true;
    },
    onSkipped(kind) {
      cycles.inc({ kind, outcome: 'skipped' });
    },
    onError(kind) {
      elapsed(kind);
      cycles.inc({ kind, outcome: 'failed' });
    },
    caughtUp: () => finished,
  };
}
