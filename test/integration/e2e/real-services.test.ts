import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { runDemo } from '../../../demo/run-demo.ts';
import { openAdapters } from '../../../infra/adapters.ts';
import { mergePanes } from '../../../shared/compute/pane-merge.ts';
import { compilePipeline } from '../../../shared/compute/pipeline.ts';
import { loadConfig, type PlatformConfig } from '../../../shared/config.ts';
import type { LogRecord } from '../../../shared/ports/event-log.ts';
import type { ViewStore } from '../../../shared/ports/view-store.ts';
import { StreamJob } from '../../../speed/stream-job.ts';
import { waitUntilCaughtUp } from '../../../demo/caught-up.ts';
import { generateWorkload } from '../../../examples/ecommerce/workload/generator.ts';
import { dropPgSchema } from '../../support/pg-schema.ts';
import { waitFor } from '../../support/wait-for.ts';
import { kafkaOrSkip, postgresOrSkip, s3OrSkip, uniqueName } from '../../support/services.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const dirs: string[] = [];
const schemas: Array<{ url: string; schema: string }> = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  for (const s of schemas.splice(0)) await dropPgSchema(s.url, s.schema);
});

/** A configuration on the real services, with this test's own topic, bucket and schema. */
async function realConfig(ctx: TestContext): Promise<PlatformConfig> {
  const kafka = kafkaOrSkip(ctx);
  const pg = postgresOrSkip(ctx);
  const s3 = s3OrSkip(ctx);
  const dataDir = await mkdtemp(join(tmpdir(), 'lk-e2e-'));
  dirs.push(dataDir);
  const schema = uniqueName('e2e').replaceAll('-', '_').toLowerCase();
  schemas.push({ url: pg.url, schema });
  return loadConfig({
    LK_SERVICES: 'real',
    KAFKA_BROKERS: kafka.brokers.join(','),
    DATABASE_URL: pg.url,
    PG_SCHEMA: schema,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: uniqueName('e2e').toLowerCase(),
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    LK_TOPIC: uniqueName('events'),
    LK_PARTITIONS: '3',
    LK_DATA_DIR: dataDir,
  }, { pipeline: ecommerceConfig() });
}

async function readAll(config: PlatformConfig, topic: string): Promise<LogRecord[]> {
  const a = await openAdapters(config);
  try {
    const out: LogRecord[] = [];
    const sub = await a.log.consume({ topic, from: { kind: 'earliest' }, stopAtEnd: true, onBatch: async (b) => void out.push(...b.records) });
    await sub.done;
    return out;
  } finally {
    await a.close();
  }
}

async function windows(store: ViewStore, namespace: string, config: PlatformConfig) {
  const pipeline = compilePipeline(config.pipeline);
  const out: Record<string, unknown> = {};
  for (const v of pipeline.views) {
    const panes = await store.queryPanes(namespace, { view: v.name, from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER });
    out[v.name] = mergePanes(v, panes.map((pane) => ({ pane, tag: 'x' }))).map(({ key, start, end, acc }) => ({ key, start, end, acc }));
  }
  return out;
}

describe('Lambda and Kappa over Kafka, PostgreSQL and S3', () => {
  it('the demo scenario: Lambda after batch equals the truth; Kappa equals speed; side topics hold exactly the bad and late records', async (ctx) => {
    const config = await realConfig(ctx);
    const result = await runDemo(config, {
      workload: { events: 6_000, users: 300, products: 60, spanMs: 90 * 60_000, seed: 11 },
      speedup: Number.POSITIVE_INFINITY,
      keepData: false,
      port: 0,
      progress: () => undefined,
    });
    try {
      const { report } = result;
      // The batch layer publishes complete hours only: below its horizon Lambda and batch equal the truth.
      expect(result.belowHorizon).not.toBeNull();
      expect(result.belowHorizon!.modes.lambda!.allExact).toBe(true);
      expect(result.belowHorizon!.modes.batch!.allExact).toBe(true);
      expect(Date.parse(result.batchHorizon!)).toBeLessThanOrEqual(Date.now());
      // The stream-only modes miss exactly the too-late events, identically.
      expect(report.modes.kappa!.views).toEqual(report.modes.speed!.views);
      expect(report.events.tooLate).toBeGreaterThan(0);
      expect(report.modes.speed!.allExact).toBe(false);

      const dead = await readAll(config, config.topics.deadLetter);
      const late = await readAll(config, config.topics.late);
      expect(dead).toHaveLength(report.events.deadLetter);
      expect(late).toHaveLength(report.events.tooLate!);
      expect(new Set(late.map((r) => r.headers['lk-reason']))).toEqual(new Set(['too_late']));
      for (const d of dead) expect(d.headers['lk-source-topic']).toBe(config.topics.events);

      // The master dataset and the batch views are objects in the bucket, read back through S3.
      const a = await openAdapters(config);
      try {
        expect((await a.objects.list('master/dt=')).length).toBeGreaterThan(0);
        expect(await a.objects.getText('views/_manifest.json')).toContain('horizon');
        // The version the timeline's backfill built and continued live equals the speed layer.
        expect(await windows(a.views, 'kappa_v2', config)).toEqual(await windows(a.views, 'speed', config));
      } finally {
        await a.close();
      }
      // The kept server's clock is the timeline's: "now" is the simulated end, where the data is.
      const served = await fetch(`${result.url}/v1/views/revenue?mode=lambda&from=${Date.parse(result.timeline.simEnd) - 3 * 3_600_000}&to=now`);
      expect(served.status).toBe(200);
      expect(((await served.json()) as { windows: unknown[] }).windows.length).toBeGreaterThan(0);
    } finally {
      await result.close();
    }
  });

  it('two speed-layer instances in one consumer group share the partitions and produce the same views as one', async (ctx) => {
    const config = await realConfig(ctx);
    const pipeline = compilePipeline(config.pipeline);
    const a = await openAdapters(config);
    const b = await openAdapters(config);
    try {
      await a.log.ensureTopic(config.topics.events, config.partitions);
      const w = generateWorkload({ seed: 5, events: 4_000, users: 200, products: 40, spanMs: 60 * 60_000 }, pipeline.config);
      const deps = (x: typeof a) => ({ log: x.log, views: x.views, pipeline, topics: config.topics });

      // Both members join first, so the records arrive while the partitions are split between them.
      const group = uniqueName('pair');
      const first = new StreamJob(deps(a), { namespace: 'pair', groupId: group, from: { kind: 'earliest' } });
      const second = new StreamJob(deps(b), { namespace: 'pair', groupId: group, from: { kind: 'earliest' } });
      const subs = [await first.start(), await second.start()];
      await waitFor(() => first.positions().size > 0 && second.positions().size > 0 && first.positions().size + second.positions().size === config.partitions);
      await a.log.append(config.topics.events, w.records.map((r) => ({ key: r.key, value: r.value })));
      // Caught up when, together, the two members have passed every partition's end.
      const pair = { positions: () => new Map([...first.positions(), ...second.positions()]) };
      await waitUntilCaughtUp(a.log, config.topics.events, [pair], { timeoutMs: 120_000 });
      for (const s of subs) await s.stop();

      const single = new StreamJob(deps(a), { namespace: 'one', groupId: uniqueName('one'), from: { kind: 'earliest' }, stopAtEnd: true });
      await (await single.start()).done;

      expect(first.records).toBeGreaterThan(0);
      expect(second.records).toBeGreaterThan(0);
      expect(await windows(a.views, 'pair', config)).toEqual(await windows(a.views, 'one', config));
    } finally {
      await b.close();
      await a.close();
    }
  });
});
