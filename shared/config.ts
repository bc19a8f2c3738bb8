import { ConfigError } from './errors.ts';
import { defaultPipelineConfig, type PipelineConfig } from './compute/pipeline.ts';
import { join, resolve } from 'node:path';

/**
 * The platform's configuration: which adapters to use and their settings, read from environment
 * variables (and CLI overrides) and validated once at start. `infra/adapters.ts` turns it into
 * adapters; nothing else reads process.env.
 *
 * The one switch: LK_SERVICES=real (or `--services real`) moves all three ports to Kafka, S3 and
 * PostgreSQL with the defaults of docker-compose.yml; each can also be chosen on its own.
 */
export type LogConfig =
  | { readonly kind: 'embedded'; readonly dir: string }
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      readonly clientId: string;
      /** Consumer-group session timeout (KAFKA_SESSION_TIMEOUT_MS); the adapter's default when absent. */
      readonly sessionTimeoutMs?: number;
    };

export type ObjectStoreConfig =
  | { readonly kind: 'local'; readonly dir: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      /** Key prefix inside the bucket, without slashes at the ends ('' for none). */
      readonly prefix: string;
      readonly region: string;
      /** An S3-compatible server (S3Proxy, MinIO, ...); AWS when absent. */
      readonly endpoint?: string;
      /** Path-style URLs (http://host/bucket/key), which S3-compatible servers usually need. */
      readonly forcePathStyle: boolean;
      /** Static credentials; the SDK's default chain (env, profile, instance role) when absent. */
      readonly accessKeyId?: string;
      readonly secretAccessKey?: string;
      /** Local directory where objects are cached for DuckDB to read. */
      readonly cacheDir: string;
    };

export type ViewStoreConfig =
  | { readonly kind: 'duckdb'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

export interface TopicNames {
  readonly events: string;
  readonly deadLetter: string;
  readonly late: string;
}

export interface PlatformConfig {
  readonly dataDir: string;
  readonly log: LogConfig;
  readonly objectStore: ObjectStoreConfig;
  readonly viewStore: ViewStoreConfig;
  readonly topics: TopicNames;
  /** Partitions of the raw-events topic when the platform creates it. */
  readonly partitions: number;
  readonly serving: { readonly host: string; readonly port: number };
  readonly pipeline: PipelineConfig;
}

/** The view store's PostgreSQL when DATABASE_URL is unset: the one docker-compose.yml runs. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

type Env = Readonly<Record<string, string | undefined>>;

/** The settings a user can give on the command line; they win over the environment. */
export interface ConfigOverrides {
  readonly services?: 'embedded' | 'real';
  readonly dataDir?: string;
  readonly port?: number;
}

function choice<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name}=${v} is not one of ${allowed.join(', ')}`);
  return v as T;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}=${v} must be a whole number from ${min} to ${max}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new ConfigError(`${name}=${v} must be true or false`);
}

/** Reads and validates the configuration; throws ConfigError saying what to set. */
export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): PlatformConfig {
  const services = overrides.services ?? choice(env, 'LK_SERVICES', ['embedded', 'real'] as const, 'embedded');
  const real = services === 'real';
  const dataDir = resolve(overrides.dataDir ?? env.LK_DATA_DIR ?? '.lk-data');

  const logKind = choice(env, 'LK_LOG', ['embedded', 'kafka'] as const, real ? 'kafka' : 'embedded');
  let log: LogConfig;
  if (logKind === 'kafka') {
    const raw = env.KAFKA_BROKERS ?? (real ? '127.0.0.1:9092' : '');
    const brokers = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (brokers.length === 0) throw new ConfigError('KAFKA_BROKERS is empty; set it (host:port,...) or run with the embedded log (LK_LOG=embedded)');
    for (const b of brokers) if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new ConfigError(`KAFKA_BROKERS entry "${b}" must be host:port`);
    const clientId = env.KAFKA_CLIENT_ID ?? 'lambdakappa';
    // How soon a crashed member's partitions move on; the broker bounds it (group.min/max.session.timeout.ms, 6 s to 30 min by default).
    const sessionTimeoutMs = env.KAFKA_SESSION_TIMEOUT_MS ? int(env, 'KAFKA_SESSION_TIMEOUT_MS', 10_000, 1_000, 3_600_000) : undefined;
    log = sessionTimeoutMs === undefined ? { kind: 'kafka', brokers, clientId } : { kind: 'kafka', brokers, clientId, sessionTimeoutMs };
  } else {
    log = { kind: 'embedded', dir: join(dataDir, 'log') };
  }

  const osKind = choice(env, 'LK_OBJECT_STORE', ['local', 's3'] as const, real ? 's3' : 'local');
  let objectStore: ObjectStoreConfig;
  if (osKind === 's3') {
    const bucket = env.S3_BUCKET ?? (real ? 'lambdakappa' : '');
    if (!bucket) throw new ConfigError('S3_BUCKET is empty; set it or use the local object store (LK_OBJECT_STORE=local)');
    const endpoint = env.S3_ENDPOINT ?? (real ? 'http://127.0.0.1:9000' : undefined);
    if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) throw new ConfigError(`S3_ENDPOINT=${endpoint} must be an http(s) URL`);
    objectStore = {
      kind: 's3',
      bucket,
      prefix: (env.S3_PREFIX ?? '').replace(/^\/+|\/+$/g, ''),
      region: env.S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
      endpoint,
      forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined),
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? (real ? 'lambdakappa' : undefined),
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? (real ? 'lambdakappa-secret' : undefined),
      cacheDir: join(dataDir, 's3-cache'),
    };
  } else {
    objectStore = { kind: 'local', dir: join(dataDir, 'objects') };
  }

  const vsKind = choice(env, 'LK_VIEW_STORE', ['duckdb', 'postgres'] as const, real ? 'postgres' : 'duckdb');
  let viewStore: ViewStoreConfig;
  if (vsKind === 'postgres') {
    // The documented default (README, docker-compose.yml) whichever switch chose PostgreSQL.
    const url = env.DATABASE_URL || DEFAULT_DATABASE_URL;
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_URL must start with postgres://');
    const schema = env.PG_SCHEMA ?? 'lambdakappa';
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(schema)) throw new ConfigError(`PG_SCHEMA=${schema} must be a lowercase SQL identifier`);
    viewStore = { kind: 'postgres', url, schema };
  } else {
    viewStore = { kind: 'duckdb', path: join(dataDir, 'views.duckdb') };
  }

  const eventsTopic = env.LK_TOPIC ?? 'events';
  return {
    dataDir,
    log,
    objectStore,
    viewStore,
    topics: { events: eventsTopic, deadLetter: `${eventsTopic}.dead-letter`, late: `${eventsTopic}.late` },
    partitions: int(env, 'LK_PARTITIONS', 4, 1, 256),
    serving: { host: env.LK_HOST ?? '127.0.0.1', port: overrides.port ?? int(env, 'LK_PORT', 8080, 0, 65535) },
    pipeline: defaultPipelineConfig(),
  };
}
