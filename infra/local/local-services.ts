import { join } from 'node:path';
import type { Containers } from './containers.ts';

/**
 * Finds or starts Kafka, PostgreSQL and S3 for a run that needs real services (the integration
 * tests' global setup, the real-services benchmarks). Each service comes from, in this order:
 * 1. the environment: KAFKA_BROKERS; DATABASE_URL; S3_ENDPOINT with AWS_ACCESS_KEY_ID and
 *    AWS_SECRET_ACCESS_KEY (S3_REGION or AWS_REGION, else us-east-1);
 * 2. else testcontainers, when a Docker engine answers within a few seconds;
 * 3. else local processes: kafka-local.ts, s3-local.ts and postgres-local.ts.
 * A service that cannot be had is reported with the reason instead of failing the others.
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

export type ServiceName = 'kafka' | 'postgres' | 's3';

interface Settings {
  readonly kafka: KafkaService;
  readonly postgres: PostgresService;
  readonly s3: S3Service;
}

/** What acquiring one service came to: its offer, how long getting it took, and how to give it back. */
export interface ServiceOutcome<T> {
  readonly offer: ServiceOffer<T>;
  /** Time to find or start it (0 when it came from the environment). */
  readonly ms: number;
  readonly stop: () => Promise<void>;
}

export type ServiceOutcomes<N extends ServiceName> = { readonly [K in N]: ServiceOutcome<Settings[K]> };

export interface AcquireOptions {
  /** Work directories of local processes go under it (the caller removes it after stopping them). */
  readonly root: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: (msg: string) => void;
}

/** A service this module got, and how to give it back. */
interface Acquired<T> {
  readonly settings: T;
  readonly source: ServiceSource;
  stop(): Promise<void>;
}

const DOCKER_PROBE_MS = 3_000;
const noop = async () => undefined;

/** Finds or starts the named services in parallel; never throws for a service that cannot be had (see its offer). */
export async function acquireServices<N extends ServiceName>(names: readonly N[], options: AcquireOptions): Promise<ServiceOutcomes<N>> {
  const { root, env, log } = options;
  const fromEnv: { [K in ServiceName]: ServiceOffer<Settings[K]> | undefined } = { kafka: kafkaFromEnv(env), postgres: postgresFromEnv(env), s3: s3FromEnv(env) };
  const needed = names.filter((n) => fromEnv[n] === undefined);
  const docker = needed.length > 0 && (await dockerAnswers());
  const starters: { [K in ServiceName]: () => Promise<ServiceOutcome<Settings[K]>> } = {
    kafka: () =>
      acquire(
        'kafka',
        fromEnv.kafka,
        docker
          ? () => fromContainer('kafka', (c) => ({ brokers: [c.kafka!.brokers] }))
          : async () => {
              const { startLocalKafka } = await import('./kafka-local.ts');
              const k = await startLocalKafka({ workDir: join(root, 'kafka'), log });
              return { settings: { brokers: [k.brokers] }, source: 'local process', stop: k.stop };
            },
      ),
    postgres: () =>
      acquire(
        'postgres',
        fromEnv.postgres,
        docker
          ? () => fromContainer('postgres', (c) => ({ url: c.postgres!.url }))
          : async () => {
              const { ensureLocalPostgres } = await import('./postgres-local.ts');
              const pg = await ensureLocalPostgres({ workDir: join(root, 'postgres'), log });
              return { settings: { url: pg.url }, source: 'local process', stop: pg.stop };
            },
      ),
    s3: () =>
      acquire(
        's3',
        fromEnv.s3,
        docker
          ? () => fromContainer('s3', (c) => ({ ...c.s3! }))
          : async () => {
              const { startLocalS3 } = await import('./s3-local.ts');
              const s = await startLocalS3({ workDir: join(root, 's3'), log });
              const { endpoint, region, accessKeyId, secretAccessKey } = s;
              return { settings: { endpoint, region, accessKeyId, secretAccessKey }, source: 'local process', stop: s.stop };
            },
      ),
  };
  const outcomes = await Promise.all(names.map((n) => starters[n]()));
  return Object.fromEntries(names.map((n, i) => [n, outcomes[i]])) as unknown as ServiceOutcomes<N>;
}

/** Stops every service that was started (not those from the environment); reports failures through `log`. */
export async function stopServices(outcomes: Partial<Record<ServiceName, ServiceOutcome<unknown>>>, log: (msg: string) => void): Promise<void> {
  await Promise.all(Object.values(outcomes).map((o) => o!.stop().catch((err: unknown) => log(`stopping a service failed: ${String(err)}`))));
}

/** One line per run: where each service came from and how long it took, e.g. "kafka: local process in 2.0 s". */
export function describeServices(outcomes: Partial<Record<ServiceName, ServiceOutcome<unknown>>>): string {
  return (Object.keys(outcomes) as ServiceName[]).map((n) => describeOutcome(n, outcomes[n]!)).join('; ');
}

/** Why a service is missing ('' when it is available). */
export function reasonOf(offer: ServiceOffer<unknown>): string {
  return offer.available ? '' : offer.reason;
}

/** Runs one service's acquisition, timing it and turning a failure into a reason. */
async function acquire<T>(name: ServiceName, viaEnv: ServiceOffer<T> | undefined, start: () => Promise<Acquired<T>>): Promise<ServiceOutcome<T>> {
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
  const { startContainers } = await import('./containers.ts');
  const c = await startContainers({ [name]: true });
  return { settings: pick(c), source: 'testcontainers', stop: c.stop };
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { dockerAvailable } = await import('./containers.ts');
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
  // S3_ENDPOINT names the server to use: never swap in another one behind the user's back.
  if (!accessKeyId || !secretAccessKey) return { available: false, reason: 'S3_ENDPOINT is set but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not: set both' };
  return { available: true, settings: { endpoint, region: env.S3_REGION ?? env.AWS_REGION ?? 'us-east-1', accessKeyId, secretAccessKey }, source: 'env' };
}

function describeOutcome(name: ServiceName, o: ServiceOutcome<unknown>): string {
  if (!o.offer.available) return `${name}: unavailable (${o.offer.reason})`;
  return o.offer.source === 'env' ? `${name}: env` : `${name}: ${o.offer.source} in ${seconds(o.ms)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
