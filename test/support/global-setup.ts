import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { Containers } from '../../infra/local/containers.ts';

/**
 * vitest globalSetup of the integration project: finds or starts Kafka, PostgreSQL and S3 once for
 * the whole run and hands tests their settings through `inject` (see services.ts). Each service
 * comes from, in this order:
 * 1. the environment: KAFKA_BROKERS; DATABASE_URL; S3_ENDPOINT with AWS_ACCESS_KEY_ID and
 *    AWS_SECRET_ACCESS_KEY (S3_REGION or AWS_REGION, else us-east-1);
 * 2. else testcontainers, when a Docker engine answers within a few seconds;
 * 3. else local processes: infra/local/kafka-local.ts, s3-local.ts and postgres-local.ts.
 * A service that cannot be had is handed to tests as the reason, and they skip; with CI set the
 * run fails instead, since a CI run that skips its integration tests proves nothing.
 */

export interface KafkaService {
  readonly brokers: readonly string[];
}
export interface PostgresService {
  readonly url: string;
}
export interface S3Service {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export type ServiceSource = 'env' | 'testcontainers' | 'local process';

/** A service's settings, or why there are none. Plain data: vitest serializes it to the test workers. */
export type ServiceOffer<T> =
  | { readonly available: true; readonly settings: T; readonly source: ServiceSource }
  | { readonly available: false; readonly reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: ServiceOffer<KafkaService>;
    postgres: ServiceOffer<PostgresService>;
    s3: ServiceOffer<S3Service>;
  }
}

type ServiceName = 'kafka' | 'postgres' | 's3';

/** A service this setup got, and how to give it back. */
interface Acquired<T> {
  readonly settings: T;
  readonly source: ServiceSource;
  stop(): Promise<void>;
}

interface Outcome<T> {
  readonly offer: ServiceOffer<T>;
  readonly ms: number;
  readonly stop: () => Promise<void>;
}

const DOCKER_PROBE_MS = 3_000;
const noop = async () => undefined;

/** Starts (or finds) the services; returns the teardown that stops what it started. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const began = Date.now();
  const root = await mkdtemp(join(tmpdir(), 'lk-it-'));
  const log = (m: string) => console.log(`[services] ${m}`);
  const env = process.env;

  const fromEnv = { kafka: kafkaFromEnv(env), postgres: postgresFromEnv(env), s3: s3FromEnv(env) };
  const needed = (Object.keys(fromEnv) as ServiceName[]).filter((n) => fromEnv[n] === undefined);
  const docker = needed.length > 0 && (await dockerAnswers());
  const start = <T>(name: ServiceName, viaEnv: ServiceOffer<T> | undefined, viaDocker: () => Promise<Acquired<T>>, viaProcess: () => Promise<Acquired<T>>) =>
    acquire(name, viaEnv, docker ? viaDocker : viaProcess);

  const [kafka, postgres, s3] = await Promise.all([
    start<KafkaService>(
      'kafka',
      fromEnv.kafka,
      () => fromContainer('kafka', (c) => ({ brokers: [c.kafka!.brokers] })),
      async () => {
        const { startLocalKafka } = await import('../../infra/local/kafka-local.ts');
        const k = await startLocalKafka({ workDir: join(root, 'kafka'), log });
        return { settings: { brokers: [k.brokers] }, source: 'local process', stop: k.stop };
      },
    ),
    start<PostgresService>(
      'postgres',
      fromEnv.postgres,
      () => fromContainer('postgres', (c) => ({ url: c.postgres!.url })),
      async () => {
        const { ensureLocalPostgres } = await import('../../infra/local/postgres-local.ts');
        const pg = await ensureLocalPostgres({ workDir: join(root, 'postgres'), log });
        return { settings: { url: pg.url }, source: 'local process', stop: pg.stop };
      },
    ),
    start<S3Service>(
      's3',
      fromEnv.s3,
      () => fromContainer('s3', (c) => ({ ...c.s3! })),
      async () => {
        const { startLocalS3 } = await import('../../infra/local/s3-local.ts');
        const s = await startLocalS3({ workDir: join(root, 's3'), log });
        const { endpoint, region, accessKeyId, secretAccessKey } = s;
        return { settings: { endpoint, region, accessKeyId, secretAccessKey }, source: 'local process', stop: s.stop };
      },
    ),
  ]);

  const outcomes = { kafka, postgres, s3 };
  const teardown = async () => {
    await Promise.all(Object.values(outcomes).map((o) => o.stop().catch((err: unknown) => log(`stopping a service failed: ${String(err)}`))));
    await rm(root, { recursive: true, force: true });
  };
  log(`${(Object.keys(outcomes) as ServiceName[]).map((n) => describeOutcome(n, outcomes[n])).join('; ')} (ready after ${seconds(Date.now() - began)})`);

  const missing = (Object.keys(outcomes) as ServiceName[]).filter((n) => !outcomes[n].offer.available);
  if (env.CI && missing.length > 0) {
    await teardown();
    throw new Error(
      `CI is set, so integration tests may not skip, but ${missing.map((n) => `${n} is unavailable (${reasonOf(outcomes[n].offer)})`).join('; ')}. ` +
        'Point the tests at running services (KAFKA_BROKERS, DATABASE_URL, S3_ENDPOINT with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or provide Docker, or Java 17+, Maven and PostgreSQL for local processes',
    );
  }
  project.provide('kafka', kafka.offer);
  project.provide('postgres', postgres.offer);
  project.provide('s3', s3.offer);
  return teardown;
}

/** Runs one service's acquisition, timing it and turning a failure into a reason. */
async function acquire<T>(name: ServiceName, viaEnv: ServiceOffer<T> | undefined, start: () => Promise<Acquired<T>>): Promise<Outcome<T>> {
  const began = Date.now();
  if (viaEnv) return { offer: viaEnv, ms: 0, stop: noop };
  try {
    const got = await start();
    return { offer: { available: true, settings: got.settings, source: got.source }, ms: Date.now() - began, stop: got.stop };
  } catch (err) {
    const reason = `${name} could not be started: ${err instanceof Error ? err.message : String(err)}`;
    return { offer: { available: false, reason }, ms: Date.now() - began, stop: noop };
  }
}

/** One container per service, so services time and fail independently. */
async function fromContainer<T>(name: ServiceName, pick: (c: Containers) => T): Promise<Acquired<T>> {
  const { startContainers } = await import('../../infra/local/containers.ts');
  const c = await startContainers({ [name]: true });
  return { settings: pick(c), source: 'testcontainers', stop: c.stop };
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { dockerAvailable } = await import('../../infra/local/containers.ts');
    return await dockerAvailable(DOCKER_PROBE_MS);
  } catch {
    return false;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function kafkaFromEnv(env: Env): ServiceOffer<KafkaService> | undefined {
  const brokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  return brokers.length > 0 ? { available: true, settings: { brokers }, source: 'env' } : undefined;
}

function postgresFromEnv(env: Env): ServiceOffer<PostgresService> | undefined {
  return env.DATABASE_URL ? { available: true, settings: { url: env.DATABASE_URL }, source: 'env' } : undefined;
}

function s3FromEnv(env: Env): ServiceOffer<S3Service> | undefined {
  const endpoint = env.S3_ENDPOINT;
  if (!endpoint) return undefined;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  // S3_ENDPOINT names the server to test against: never swap in another one behind the user's back.
  if (!accessKeyId || !secretAccessKey) return { available: false, reason: 'S3_ENDPOINT is set but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not: set both' };
  return { available: true, settings: { endpoint, region: env.S3_REGION ?? env.AWS_REGION ?? 'us-east-1', accessKeyId, secretAccessKey }, source: 'env' };
}

function describeOutcome(name: ServiceName, o: Outcome<unknown>): string {
  if (!o.offer.available) return `${name}: unavailable (${o.offer.reason})`;
  return o.offer.source === 'env' ? `${name}: env` : `${name}: ${o.offer.source} in ${seconds(o.ms)}`;
}

function reasonOf(offer: ServiceOffer<unknown>): string {
  return offer.available ? '' : offer.reason;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
