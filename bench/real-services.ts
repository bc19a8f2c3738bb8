import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { acquireServices, describeServices, reasonOf, stopServices } from '../infra/local/local-services.ts';
import { loadConfig, type PlatformConfig } from '../shared/config.ts';
import { LkError } from '../shared/errors.ts';
import type { Figure } from './figure.ts';
import ecommerce from '../examples/ecommerce/pipeline.ts';
import { pipelineConfigOf } from '../shared/compute/define-pipeline.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Kafka and PostgreSQL for one benchmark run, and the settings that point the platform at them. */
export interface RealServices {
  /** The environment for loadConfig and for `lk` child processes: LK_SERVICES=real and the services' addresses. */
  readonly env: Env;
  /** Where the services came from and how long the Kafka start took. */
  readonly figures: readonly Figure[];
  /** The platform's configuration with the events topic set to `topic`. */
  configFor(topic: string): PlatformConfig;
  /** Drops what the run created (its PostgreSQL schema, its topics on a broker it did not start), then stops what it started. */
  stop(): Promise<void>;
}

/**
 * Finds or starts Kafka and PostgreSQL as the integration tests do (infra/local/local-services.ts:
 * KAFKA_BROKERS / DATABASE_URL, else testcontainers, else a local broker from the Maven jars and
 * the PostgreSQL on 127.0.0.1:5432 or a temporary cluster). The run writes to its own schema
 * (lk_bench_<runId>) and topics (lk-bench-<runId>-*), removed by stop(), so it never touches a
 * deployment's views. The object store stays local unless LK_OBJECT_STORE says otherwise: these
 * benchmarks never write batch views, serving only looks for a manifest that does not exist.
 */
export async function openRealServices(runId: string, log: (msg: string) => void): Promise<RealServices> {
  const root = await mkdtemp(join(tmpdir(), 'lk-bench-'));
  const outcomes = await acquireServices(['kafka', 'postgres'] as const, { root, env: process.env, log: (m) => log(`[services] ${m}`) });
  const { kafka, postgres } = outcomes;
  const release = async () => {
    await stopServices(outcomes, log);
    await rm(root, { recursive: true, force: true });
  };
  log(`[services] ${describeServices(outcomes)}`);
  if (!kafka.offer.available || !postgres.offer.available) {
    await release();
    const missing = [kafka, postgres].map((o) => reasonOf(o.offer)).filter(Boolean);
    throw new LkError(`the real-services benchmarks need Kafka and PostgreSQL: ${missing.join('; ')}. Set KAFKA_BROKERS and DATABASE_URL, or provide Docker, or Java 17+, Maven and PostgreSQL`);
  }
  const brokers = kafka.offer.settings.brokers;
  const kafkaGiven = kafka.offer.source === 'env';
  const url = postgres.offer.settings.url;
  const schema = `lk_bench_${runId}`;
  const env: Env = {
    ...process.env,
    LK_SERVICES: 'real',
    KAFKA_BROKERS: brokers.join(','),
    DATABASE_URL: url,
    PG_SCHEMA: schema,
    LK_OBJECT_STORE: process.env.LK_OBJECT_STORE ?? 'local',
    LK_DATA_DIR: join(root, 'data'),
  };
  const figures: Figure[] = [
    {
      name: 'local Kafka start',
      value: kafkaGiven ? 'given (KAFKA_BROKERS)' : Number((kafka.ms / 1000).toFixed(1)),
      unit: 's',
      note: kafkaGiven ? undefined : `${kafka.offer.source}; jars from the Maven cache when warm`,
    },
    { name: 'PostgreSQL', value: postgres.offer.source === 'env' ? 'given (DATABASE_URL)' : `${postgres.offer.source}, ready in ${(postgres.ms / 1000).toFixed(1)} s` },
  ];
  return {
    env,
    figures,
    configFor: (topic) => loadConfig({ ...env, LK_TOPIC: topic }, { pipeline: pipelineConfigOf(ecommerce) }),
    stop: async () => {
      await dropSchema(url, schema).catch((err: unknown) => log(`could not drop PostgreSQL schema ${schema}: ${String(err)}; drop it by hand`));
      if (kafkaGiven) await deleteTopics(brokers, `lk-bench-${runId}`).catch((err: unknown) => log(`could not delete the lk-bench-${runId}-* topics: ${String(err)}`));
      await release();
    },
  };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** The EventLog port has no topic deletion (the platform never deletes its log); a benchmark on someone's broker cleans up after itself. */
async function deleteTopics(brokers: readonly string[], prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: [...brokers], clientId: 'lk-bench', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
