import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchPaneSource } from '../serving/batch-pane-source.ts';
import type { Pipeline } from '../shared/compute/pipeline.ts';
import type { PlatformConfig } from '../shared/config.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';

/** Rows and bytes each architecture keeps. Bytes are null where the service does not say cheaply (Kafka, PostgreSQL). */
export interface StorageCost {
  readonly log: { readonly records: number; readonly bytes: number | null };
  /** Lambda's master dataset (raw valid events as Parquet). */
  readonly master: { readonly rows: number; readonly objects: number; readonly bytes: number };
  /** Lambda's batch views (Parquet panes, every run still kept). */
  readonly batchViews: { readonly rows: number; readonly objects: number; readonly bytes: number };
  /** View-store panes per namespace (speed, the live Kappa version). */
  readonly viewStore: { readonly rows: Readonly<Record<string, number>>; readonly bytes: number | null };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

async function prefixBytes(objects: ObjectStore, prefix: string): Promise<{ objects: number; bytes: number }> {
  const list = await objects.list(prefix);
  return { objects: list.length, bytes: list.reduce((s, o) => s + o.size, 0) };
}

/** Counts what is stored now: panes per namespace and batch view, objects and their sizes, the log's files. */
export async function measureStorage(
  config: PlatformConfig,
  pipeline: Pipeline,
  deps: { readonly objects: ObjectStore; readonly views: ViewStore; readonly batch: BatchPaneSource },
  counts: { readonly logRecords: number; readonly masterRows: number; readonly namespaces: readonly string[] },
): Promise<StorageCost> {
  const all = { from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER };
  const rows: Record<string, number> = {};
  for (const ns of counts.namespaces) {
    let n = 0;
    for (const v of pipeline.views) n += (await deps.views.queryPanes(ns, { view: v.name, ...all })).length;
    rows[ns] = n;
  }
  // One snapshot: every view's rows from the same publish.
  const snapshot = await deps.batch.snapshot();
  let batchRows = 0;
  if (snapshot.horizon !== null) for (const v of pipeline.views) batchRows += (await snapshot.panes({ view: v.name, ...all, maxBucket: snapshot.horizon })).length;
  const [master, batchViews] = await Promise.all([prefixBytes(deps.objects, 'master/'), prefixBytes(deps.objects, 'views/')]);
  return {
    log: { records: counts.logRecords, bytes: config.log.kind === 'embedded' ? await dirBytes(config.log.dir) : null },
    master: { rows: counts.masterRows, ...master },
    batchViews: { rows: batchRows, ...batchViews },
    viewStore: { rows, bytes: config.viewStore.kind === 'duckdb' ? (await stat(config.viewStore.path).catch(() => ({ size: 0 }))).size : null },
  };
}
