import type { PlatformConfig } from '../shared/config.ts';
import type { EventLog } from '../shared/ports/event-log.ts';
import type { ObjectStore } from '../shared/ports/object-store.ts';
import type { ViewStore } from '../shared/ports/view-store.ts';

/**
 * The composition root: the one place that turns configuration into adapters. Adapter modules are
 * imported lazily so the embedded default never loads kafkajs, pg or the AWS SDK.
 */
export async function openEventLog(config: PlatformConfig): Promise<EventLog> {
  const c = config.log;
  if (c.kind === 'kafka') {
    const { KafkaLog } = await import('./kafka/kafka-log.ts');
    return KafkaLog.connect({ brokers: c.brokers, clientId: c.clientId, sessionTimeoutMs: c.sessionTimeoutMs });
  }
  const { EmbeddedLog } = await import('./embedded/embedded-log.ts');
  return EmbeddedLog.open(c.dir);
}

export async function openObjectStore(config: PlatformConfig): Promise<ObjectStore> {
  const c = config.objectStore;
  if (c.kind === 's3') {
    const { S3ObjectStore } = await import('./s3/s3-object-store.ts');
    return S3ObjectStore.open({ ...c, createBucket: true });
  }
  const { LocalObjectStore } = await import('./embedded/local-object-store.ts');
  return new LocalObjectStore(c.dir);
}

export async function openViewStore(config: PlatformConfig): Promise<ViewStore> {
  const c = config.viewStore;
  if (c.kind === 'postgres') {
    const { PostgresViewStore } = await import('./postgres/postgres-view-store.ts');
    return PostgresViewStore.open({ url: c.url, schema: c.schema });
  }
  const { DuckDbViewStore } = await import('./duckdb/duckdb-view-store.ts');
  return DuckDbViewStore.open(c.path);
}

/** All three ports, opened together; close() closes whatever was opened. */
export interface Adapters {
  readonly log: EventLog;
  readonly objects: ObjectStore;
  readonly views: ViewStore;
  close(): Promise<void>;
}

export async function openAdapters(config: PlatformConfig): Promise<Adapters> {
  const opened: Array<{ close(): Promise<void> }> = [];
  const track = <T extends { close(): Promise<void> }>(x: T): T => {
    opened.push(x);
    return x;
  };
  try {
    const log = track(await openEventLog(config));
    const objects = track(await openObjectStore(config));
    const views = track(await openViewStore(config));
    return { log, objects, views, close: () => closeAll(opened) };
  } catch (err) {
    await closeAll(opened);
    throw err;
  }
}

/** The event log and the view store (what a stream job needs), opened together; close() closes both. */
export async function openLogAndViews(config: PlatformConfig): Promise<{ readonly log: EventLog; readonly views: ViewStore; close(): Promise<void> }> {
  const log = await openEventLog(config);
  try {
    const views = await openViewStore(config);
    return { log, views, close: () => closeAll([log, views]) };
  } catch (err) {
    await log.close().catch(() => undefined);
    throw err;
  }
}

async function closeAll(xs: Array<{ close(): Promise<void> }>): Promise<void> {
  for (const x of xs.reverse()) await x.close().catch(() => undefined);
}
