import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archive } from '../../batch/archiver.ts';
import { runBatch } from '../../batch/batch-job.ts';
import { readManifest } from '../../batch/batch-manifest.ts';
import { BatchViewIndex } from '../../batch/batch-view-index.ts';
import { BatchViewReader } from '../../batch/batch-view-reader.ts';
import { sqlString } from '../../infra/duckdb/duckdb-database.ts';
import { compilePipeline, type Pipeline } from '../../shared/compute/pipeline.ts';
import type { ViewDef } from '../../shared/compute/view-def.ts';
import { HOUR_MS, partitionPath } from '../../shared/time/bucket.ts';
import { QueryService } from '../../serving/query-service.ts';
import { ForwardingObjectStore } from '../support/forwarding-object-store.ts';
import { InMemoryViewStore } from '../support/in-memory-view-store.ts';
import { ecommerceConfig } from '../support/ecommerce.ts';
import { randomWorkload } from '../support/random-events.ts';
import { appendGenerated, closeHoursBefore, openBatchTestEnv, type BatchTestEnv } from './batch-test-env.ts';
import type { ObjectStore } from '../../shared/ports/object-store.ts';

const envs: BatchTestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

const START = Date.UTC(2026, 2, 1, 9, 0);
const BAD_HOUR = START + HOUR_MS;
const iso = (t: number) => new Date(t).toISOString();

/** An env whose master dataset holds three hours of events (9:00 to 12:00), all complete. */
async function archivedEnv(name: string, invalidInBadHour = 0): Promise<BatchTestEnv> {
  const e = await openBatchTestEnv(name);
  envs.push(e);
  await appendGenerated(e, randomWorkload({ seed: 11, events: 900, start: START, spanMs: 3 * HOUR_MS - 1, users: 6, duplicateRate: 0.05 }).records);
  if (invalidInBadHour > 0) await e.log.append(e.topic, Array.from({ length: invalidInBadHour }, (_, i) => ({ key: 'u1', value: `{"broken": ${i}`, timestamp: BAD_HOUR + 60_000 + i })));
  await archive({ ...e }, { untilEnd: true });
  await closeHoursBefore(e, START + 48 * HOUR_MS);
  return e;
}

/** The reference pipeline with every view's quality bounds widened by `quality`. */
function withQuality(quality: ViewDef['quality']): Pipeline {
  const config = ecommerceConfig();
  return compilePipeline({ ...config, views: config.views.map((v) => ({ ...v, quality: { ...v.quality, ...quality } })) });
}

/** Whether a key is a pane file of this view and hour. */
const paneOf = (view: string, hour: number) => (key: string) => key.includes(`/${view}/${partitionPath(hour)}/`);

/** An object store that loses the pane files `lost` picks: putFile returns as if it had stored them. */
class DroppingStore extends ForwardingObjectStore {
  readonly #lost: (key: string) => boolean;

  constructor(inner: ObjectStore, lost: (key: string) => boolean) {
    super(inner);
    this.#lost = lost;
  }

  override async putFile(key: string, localFile: string): Promise<void> {
    if (!this.#lost(key)) await this.inner.putFile(key, localFile);
  }
}

/** An object store that rewrites the Parquet files `picked` picks on their way in, with `column` replaced by the SQL `sql` over the row. */
class RewritingStore extends ForwardingObjectStore {
  readonly #e: BatchTestEnv;
  readonly #picked: (key: string) => boolean;
  readonly #column: string;
  readonly #sql: string;

  constructor(e: BatchTestEnv, picked: (key: string) => boolean, column: string, sql: string) {
    super(e.objects);
    this.#e = e;
    this.#picked = picked;
    this.#column = column;
    this.#sql = sql;
  }

  override async putFile(key: string, localFile: string): Promise<void> {
    if (!this.#picked(key)) return this.inner.putFile(key, localFile);
    const changed = join(this.#e.dir, `rewritten-${randomBytes(4).toString('hex')}.parquet`);
    await this.#e.db.run(`COPY (SELECT * REPLACE (${this.#sql} AS "${this.#column}") FROM read_parquet(${sqlString(localFile)})) TO ${sqlString(changed)} (FORMAT parquet)`);
    await this.inner.putFile(key, changed);
  }
}

/** Serving over the env's published batch, as `lk serve` reads it (the in-memory index of each publish). */
function servingOf(e: BatchTestEnv, pipeline: Pipeline = e.pipeline) {
  const index = new BatchViewIndex(new BatchViewReader({ objects: e.objects, db: e.db, pipeline }));
  const service = new QueryService({ pipeline, viewStore: new InMemoryViewStore(), batch: index });
  const answer = async () => {
    const out: Record<string, unknown> = {};
    for (const view of ['product_activity', 'revenue', 'user_sessions']) {
      const r = await service.query({ view, from: START, to: START + 3 * HOUR_MS, mode: 'batch' });
      out[view] = r.windows.map((w) => [w.key, w.start, w.end, w.value]);
    }
    return out;
  };
  return { index, service, answer };
}

describe('the batch quality gate', () => {
  it('blocks a run whose pane file of one hour was dropped: that hour keeps its previous version, the others publish, the manifest and /v1/status say why', async () => {
    const e = await archivedEnv('dropped');
    const good = await runBatch({ ...e });
    expect(good.quality).toEqual({ skipped: false, failures: [], rejected: [] });
    const serving = servingOf(e);
    const served = await serving.answer();
    expect((served.revenue as unknown[]).length).toBeGreaterThan(0);

    const bad = await runBatch({ ...e, objects: new DroppingStore(e.objects, paneOf('revenue', BAD_HOUR)) });
    expect(bad.quality.rejected).toEqual([BAD_HOUR]);
    expect(bad.quality.failures).toEqual([{ view: 'revenue', bucket: BAD_HOUR, check: 'files', detail: expect.stringContaining('not readable from the object store') }]);
    expect(bad.published).toBe(true);

    const m = (await readManifest(e.objects))!;
    expect(m.runId).toBe(bad.runId);
    expect(m.buckets.map((b) => [iso(b.bucket), b.runId])).toEqual([
      [iso(START), bad.runId],
      [iso(BAD_HOUR), good.runId],
      [iso(START + 2 * HOUR_MS), bad.runId],
    ]);
    expect(m.rejected).toEqual([{ runId: bad.runId, at: expect.any(String), view: 'revenue', bucket: BAD_HOUR, check: 'files', detail: bad.quality.failures[0].detail }]);

    // Serving loads the new publish (nothing it names is missing) and answers the hour from the previous run.
    expect(await serving.index.refresh()).toBe(true);
    expect(serving.index.problem()).toBeUndefined();
    expect(await serving.answer()).toEqual(served);
    const status = await serving.service.status();
    expect(status.batchRun).toBe(bad.runId);
    expect(status.batchQuality.lastFailure).toEqual({ runId: bad.runId, at: m.rejected![0].at, failures: [{ view: 'revenue', hour: iso(BAD_HOUR), check: 'files', detail: bad.quality.failures[0].detail }] });
  });

  it('blocks a run with a negative measure; when every hour fails, the manifest keeps the previous publish whole and only gains the reasons', async () => {
    const e = await archivedEnv('negative');
    const good = await runBatch({ ...e });
    const serving = servingOf(e);
    const served = await serving.answer();
    const before = (await readManifest(e.objects))!;

    const store = new RewritingStore(e, paneOf('revenue', BAD_HOUR), 'revenue_cents', '-revenue_cents - 1');
    const bad = await runBatch({ ...e, objects: store }, { buckets: { from: BAD_HOUR, to: BAD_HOUR + HOUR_MS } });
    expect(bad.quality.rejected).toEqual([BAD_HOUR]);
    expect(bad.quality.failures).toEqual([{ view: 'revenue', bucket: BAD_HOUR, check: 'measures', detail: expect.stringMatching(/revenue_cents is -\d+, below 0/) }]);
    expect(bad.published).toBe(false);

    const m = (await readManifest(e.objects))!;
    expect({ ...m, rejected: undefined }).toEqual({ ...before, rejected: undefined });
    expect(m.runId).toBe(good.runId);
    expect(m.rejected?.map((r) => [r.runId, r.check, r.view])).toEqual([[bad.runId, 'measures', 'revenue']]);
    // The rejected run's files are not kept.
    expect((await e.objects.list(`views/runs/${bad.runId}/`)).length).toBe(0);

    await serving.index.refresh();
    expect(await serving.answer()).toEqual(served);
    const status = await serving.service.status();
    expect(status.batchRun).toBe(good.runId);
    expect(status.batchQuality.lastFailure?.runId).toBe(bad.runId);
    expect(status.batchQuality.lastFailure?.failures.map((f) => [f.hour, f.check])).toEqual([[iso(BAD_HOUR), 'measures']]);

    // Accepting another check changes nothing; accepting this one publishes the hour.
    expect((await runBatch({ ...e, objects: store }, { buckets: { from: BAD_HOUR, to: BAD_HOUR + HOUR_MS }, acceptChecks: ['drift'] })).quality.rejected).toEqual([BAD_HOUR]);
    const accepted = await runBatch({ ...e, objects: store }, { buckets: { from: BAD_HOUR, to: BAD_HOUR + HOUR_MS }, acceptChecks: ['measures'] });
    expect(accepted.quality.failures).toEqual([]);
    expect((await readManifest(e.objects))!.buckets.find((b) => b.bucket === BAD_HOUR)?.runId).toBe(accepted.runId);
    // An operator who accepts the data publishes it without the gate.
    const forced = await runBatch({ ...e, objects: store }, { buckets: { from: BAD_HOUR, to: BAD_HOUR + HOUR_MS }, skipQuality: true });
    expect(forced.quality).toEqual({ skipped: true, failures: [], rejected: [] });
    expect((await readManifest(e.objects))!.buckets.find((b) => b.bucket === BAD_HOUR)?.runId).toBe(forced.runId);
  });

  it('blocks a recompute that moves a window by more than the view\'s drift bound', async () => {
    const e = await archivedEnv('drift');
    const pipeline = withQuality({ maxDrift: 0.5 });
    await runBatch({ ...e, pipeline });
    // Same data again: no drift.
    expect((await runBatch({ ...e, pipeline })).quality.failures).toEqual([]);
    const store = new RewritingStore(e, paneOf('revenue', BAD_HOUR), 'orders', 'orders * 3');
    const bad = await runBatch({ ...e, pipeline, objects: store });
    expect(bad.quality.rejected).toEqual([BAD_HOUR]);
    expect(bad.quality.failures).toEqual([{ view: 'revenue', bucket: BAD_HOUR, check: 'drift', detail: expect.stringContaining('orders of key *') }]);
  });

  it('blocks an hour whose share of dead-lettered records is above the view\'s bound', async () => {
    const e = await archivedEnv('dead-letters', 40);
    const strict = await runBatch({ ...e, pipeline: withQuality({ maxDeadLetterShare: 0.01 }) });
    expect(strict.quality.rejected).toEqual([BAD_HOUR]);
    expect(strict.quality.failures.map((f) => [f.view, f.check])).toEqual([
      ['product_activity', 'dead_letters'],
      ['revenue', 'dead_letters'],
      ['user_sessions', 'dead_letters'],
    ]);
    expect(strict.quality.failures[0].detail).toMatch(/^40 of \d+ records of hour 2026-03-01T10:00:00.000Z were dead-lettered/);
    expect((await runBatch({ ...e, pipeline: withQuality({ maxDeadLetterShare: 0.5 }) })).quality.failures).toEqual([]);
  });

  it('blocks an hour whose master file is gone: the run read fewer rows than the archiver stored', async () => {
    const e = await archivedEnv('master-gone');
    await runBatch({ ...e });
    const [lost] = (await e.objects.list(`master/${partitionPath(BAD_HOUR)}/`)).map((o) => o.key);
    await e.objects.delete([lost]);
    const bad = await runBatch({ ...e });
    expect(bad.quality.rejected).toEqual([BAD_HOUR]);
    expect(bad.quality.failures).toEqual([{ view: null, bucket: BAD_HOUR, check: 'counts', detail: expect.stringContaining('a master file is missing') }]);
  });
});
