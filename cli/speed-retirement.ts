import { readManifest } from '../batch/batch-manifest.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';
import { scheduleRetirement } from '../speed/speed-retention.ts';
import { formatCount } from './progress.ts';

/** The speed layer's retirement (`lk speed`, `lk run`): every minute, drops the panes the published batch covers, saying so. */
export function startSpeedRetirement(views: ViewStore, objects: ObjectStore, pipeline: Pipeline, retentionMs: number, say: (line: string) => void): { stop(): Promise<void> } {
  return scheduleRetirement(views, pipeline, {
    horizon: async () => (await readManifest(objects))?.horizon ?? null,
    retentionMs,
    onRetired: (r) => {
      if (r.dropped > 0) say(`retired ${formatCount(r.dropped)} panes of buckets before ${new Date(r.cutoff!).toISOString()} (the batch layer covers them)`);
    },
    onError: (err) => say(`could not retire covered panes (${err.message}); trying again in a minute`),
  });
}
