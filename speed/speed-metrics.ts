import { checkpointWatermark } from '../shared/compute/partition-processor.ts';
import { LATENCY_BUCKETS, type MetricsRegistry } from '../shared/ports/metrics.ts';
import type { LatenessPolicy } from '../shared/time/watermark.ts';
import type { FlowState } from './buffer-bound.ts';
import type { StreamProgress } from './stream-job.ts';

/** The speed layer's metrics, fed by the stream job's onCommit (`lk speed --metrics-port`). */
export interface SpeedMetrics {
  /** Records one commit of one partition. */
  onCommit(p: StreamProgress): void;
  /** Whether every partition seen has committed everything up to its high watermark (lag 0). */
  caughtUp(): boolean;
  /** Reads the running job's flow control at each scrape (the job changes when it restarts after a fence). */
  watchFlow(flow: () => FlowState | undefined): void;
}

/**
 * Registers the speed layer's metrics: records committed (`rate()` gives events in per second),
 * consumer lag per partition (high watermark minus committed offset), the watermark per partition
 * and its lag behind the wall clock, valid / dead-letter / too-late / duplicate counts, commit
 * duration, and the age of each partition's last checkpoint (set at scrape); and backpressure,
 * read from the job at scrape: whether consumption is paused, the records buffered (processed, not
 * yet visible) and their bound, and how often and how long the job paused since it (re)started.
 */
export function speedMetrics(registry: MetricsRegistry, policy: LatenessPolicy, clock: () => number = Date.now): SpeedMetrics {
  const records = registry.counter('lk_speed_records_total', 'records committed to the view store (rate() is events in per second)');
  const commit = registry.histogram('lk_speed_commit_duration_seconds', 'duration of one coalesced commit (side outputs and view-store transaction)', [], LATENCY_BUCKETS);
  const lag = registry.gauge('lk_speed_consumer_lag_records', 'records in the log not yet committed, per partition', ['partition']);
  const watermark = registry.gauge('lk_speed_watermark_timestamp_seconds', 'the partition watermark', ['partition']);
  const counts = registry.gauge('lk_speed_records', 'records by verdict, over all partitions (valid, dead_letter, too_late, duplicate)', ['verdict']);
  const last = new Map<number, { at: number; watermark: number; lag: number }>();
  registry.gauge('lk_speed_watermark_lag_seconds', 'how far each partition watermark is behind the wall clock', ['partition'], (g) => {
    for (const [p, s] of last) g.set({ partition: String(p) }, Number.isFinite(s.watermark) ? (clock() - s.watermark) / 1000 : Number.NaN);
  });
  registry.gauge('lk_speed_checkpoint_age_seconds', 'time since each partition last committed a checkpoint', ['partition'], (g) => {
    for (const [p, s] of last) g.set({ partition: String(p) }, (clock() - s.at) / 1000);
  });
  let flow: () => FlowState | undefined = () => undefined;
  const fromFlow = (name: string, help: string, value: (f: FlowState) => number) =>
    registry.gauge(name, help, [], (g) => {
      const f = flow();
      if (f) g.set({}, value(f));
    });
  fromFlow('lk_speed_paused', '1 while consumption is paused because maxBufferedRecords are buffered (backpressure), else 0', (f) => (f.paused ? 1 : 0));
  fromFlow('lk_speed_buffered_records', 'records processed and not yet visible in the view store (uncommitted or being written)', (f) => f.bufferedRecords);
  fromFlow('lk_speed_buffered_records_limit', 'the bound on buffered records (--max-buffered-records)', (f) => f.maxBufferedRecords);
  fromFlow('lk_speed_pauses', 'times consumption paused for backpressure since the job (re)started', (f) => f.pauses);
  fromFlow('lk_speed_paused_seconds', 'time consumption was paused for backpressure since the job (re)started', (f) => f.pausedMs / 1000);
  let recorded = 0;
  let lastCommit = Number.NaN;
  return {
    onCommit(p) {
      if (p.records > recorded) records.inc({}, p.records - recorded);
      recorded = p.records;
      // One coalesced write reports each of its partitions: observe the write once.
      if (p.commitMs !== lastCommit) commit.observe({}, p.commitMs / 1000);
      lastCommit = p.commitMs;
      const wm = checkpointWatermark(policy, p.checkpoint).current;
      const partition = String(p.partition);
      lag.set({ partition }, Math.max(0, p.highWatermark - p.nextOffset));
      watermark.set({ partition }, Number.isFinite(wm) ? wm / 1000 : Number.NaN);
      counts.set({ verdict: 'valid' }, p.totals.valid);
      counts.set({ verdict: 'dead_letter' }, p.totals.deadLetter);
      counts.set({ verdict: 'too_late' }, p.totals.tooLate);
      counts.set({ verdict: 'duplicate' }, p.totals.duplicate);
      last.set(p.partition, { at: clock(), watermark: wm, lag: p.highWatermark - p.nextOffset });
    },
    caughtUp() {
      return last.size > 0 && [...last.values()].every((s) => s.lag <= 0);
    },
    watchFlow(f) {
      flow = f;
    },
  };
}
