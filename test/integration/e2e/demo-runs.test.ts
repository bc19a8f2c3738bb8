import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { runDemo, type DemoResult } from '../../../demo/run-demo.ts';
import { loadConfig, type PlatformConfig } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';
import { newRunId } from '../../../shared/run-id.ts';
import { dropPgSchema } from '../../support/pg-schema.ts';
import { kafkaOrSkip, postgresOrSkip, s3OrSkip, uniqueName } from '../../support/services.ts';
import { ecommerceConfig } from '../../support/ecommerce.ts';

const dirs: string[] = [];
const schemas: Array<{ url: string; schema: string }> = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  for (const s of schemas.splice(0)) await dropPgSchema(s.url, s.schema);
});

/**
 * The services' settings as a user of `--services real` gives them: where the servers are, and
 * no LK_TOPIC, PG_SCHEMA or S3_PREFIX unless `names` sets them. One bucket for the whole test,
 * as one S3 server has for every run.
 */
function servicesEnv(ctx: TestContext, bucket: string, dataDir: string, names: Record<string, string> = {}) {
  const kafka = kafkaOrSkip(ctx);
  const pg = postgresOrSkip(ctx);
  const s3 = s3OrSkip(ctx);
  return {
    env: {
      LK_SERVICES: 'real',
      KAFKA_BROKERS: kafka.brokers.join(','),
      DATABASE_URL: pg.url,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: bucket,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      LK_PARTITIONS: '2',
      LK_DATA_DIR: dataDir,
      ...names,
    },
    pgUrl: pg.url,
  };
}

/** One demo run as `lk demo` starts it: a fresh run id, a small workload. */
async function demoRun(ctx: TestContext, bucket: string, seed: number, names: Record<string, string> = {}): Promise<{ config: PlatformConfig; result: DemoResult; said: string[] }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lk-demo-runs-'));
  dirs.push(dataDir);
  const { env, pgUrl } = servicesEnv(ctx, bucket, dataDir, names);
  const config = loadConfig(env, { pipeline: ecommerceConfig(), runId: newRunId(new Date()) });
  // Drop only a schema named after this run: never a shared default such as `lambdakappa`.
  if (config.viewStore.kind === 'postgres' && config.viewStore.schema.startsWith('demo_') && !('PG_SCHEMA' in names)) schemas.push({ url: pgUrl, schema: config.viewStore.schema });
  const said: string[] = [];
  const result = await runDemo(config, {
    workload: { events: 1_500, users: 100, products: 30, spanMs: 30 * 60_000, seed },
    speedup: Number.POSITIVE_INFINITY,
    keepData: false,
    port: 0,
    progress: (line, final) => void (final ? said.push(line) : undefined),
  });
  return { config, result, said };
}

describe('lk demo on real services, run twice on the same services', () => {
  it('each run reports only its own records: its own topic, schema and prefix, printed first', async (ctx) => {
    const bucket = uniqueName('demo').toLowerCase();
    const first = await demoRun(ctx, bucket, 1);
    await first.result.close();
    const second = await demoRun(ctx, bucket, 2);
    await second.result.close();

    for (const run of [first, second]) {
      const { events } = run.result.report;
      // Every record the run appended (its workload and the timeline's freshness probes) is counted
      // once, and nothing else: generated + probes = valid + dead-letter + duplicate.
      expect(events.generated).toBe(1_500);
      expect(events.probes).toBe(run.result.timeline.probes);
      expect(events.valid + events.deadLetter + events.duplicate).toBe(1_500 + run.result.timeline.probes);
      expect(run.said[0]).toContain(`Kafka topics ${run.config.topics.events}, ${run.config.topics.events}.dead-letter, ${run.config.topics.events}.late`);
      expect(run.said[0]).toContain(`PostgreSQL schema ${run.config.topics.events}`);
      expect(run.said[0]).toContain(`S3 prefix s3://${bucket}/${run.config.topics.events}/`);
      expect(run.result.data.join('\n')).toContain(`DROP SCHEMA "${run.config.topics.events}" CASCADE`);
    }
    expect(second.config.topics.events).not.toBe(first.config.topics.events);
  });

  it('refuses a topic, schema or prefix the user set that holds an earlier run’s data, naming it', async (ctx) => {
    const bucket = uniqueName('demo').toLowerCase();
    const first = await demoRun(ctx, bucket, 1);
    await first.result.close();
    const reused = { LK_TOPIC: first.config.topics.events, PG_SCHEMA: first.config.topics.events, S3_PREFIX: first.config.topics.events };
    const err = await demoRun(ctx, bucket, 2, reused).then(
      (r) => r.result.close(),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain(`LK_TOPIC=${reused.LK_TOPIC}`);
    expect(message).toContain(`PG_SCHEMA=${reused.PG_SCHEMA} (PostgreSQL schema ${reused.PG_SCHEMA}) already holds view-store namespaces`);
    expect(message).toContain(`S3_PREFIX=${reused.S3_PREFIX}`);
    expect(message).toContain('--keep-data');
  });
});
