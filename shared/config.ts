import { ConfigError } from './errors.ts';
import type { PipelineConfig } from './compute/pipeline.ts';
import { join, resolve } from 'node:path';
import { RUN_ID_PATTERN } from './run-id.ts';

/**
 * The platform's configuration: which adapters to use and their settings, read from environment
 * variables (and CLI overrides) and validated at start. `infra/adapters.ts` turns it into
 * adapters; nothing else reads process.env. A command names the ports it opens (`ports`): their
 * settings are validated at once, the others only if something reads them, so a command never
 * fails on the settings of a service it does not use (`lk ingest` and a bad DATABASE_URL).
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

/** The settings that name where one data set lives on shared services. */
export type DataNameSetting = 'LK_TOPIC' | 'PG_SCHEMA' | 'S3_PREFIX';

/**
 * Where the names of the data came from: a demo run on real services names its topic, schema and
 * prefix after its run id (`runId`), except those the user set (`userSet`), so that runs on the
 * same services never read each other's data.
 */
export interface DataScope {
  readonly runId: string | null;
  readonly userSet: readonly DataNameSetting[];
}

export interface PlatformConfig {
  readonly dataDir: string;
  readonly scope: DataScope;
  readonly log: LogConfig;
  readonly objectStore: ObjectStoreConfig;
  readonly viewStore: ViewStoreConfig;
  readonly topics: TopicNames;
  /** Partitions of the raw-events topic when the platform creates it. */
  readonly partitions: number;
  readonly serving: {
    readonly host: string;
    readonly port: number;
    /** Turns on the admin endpoints (POST /v1/admin/...) for requests bearing it (LK_ADMIN_TOKEN); absent: there are none. */
    readonly adminToken?: string;
  };
  readonly batch: BatchConfig;
  readonly pipeline: PipelineConfig;
}

/** How the batch layer decides that an hour is complete. */
export interface BatchConfig {
  /**
   * An hour is published once the log's watermark over the archived records (min over
   * partitions) is at or past its end plus this delay, so stragglers arriving that much after the
   * watermark are still in it (LK_STRAGGLER_DELAY_MS, `lk batch --straggler-delay-ms`).
   */
  readonly stragglerDelayMs: number;
}

/** LK_ADMIN_TOKEN, checked: a short token is guessable, and the endpoints it opens change what serving serves. */
function adminToken(env: Env): { adminToken?: string } {
  const token = env.LK_ADMIN_TOKEN;
  if (token === undefined || token === '') return {};
  if (token.length < 16 || /\s/.test(token)) throw new ConfigError('LK_ADMIN_TOKEN must be at least 16 characters without spaces (e.g. openssl rand -hex 16); unset it to turn the admin endpoints off');
  return { adminToken: token };
}

/** Five minutes: the minute the hourly cycle has always run at, for events that trail the watermark. */
export const DEFAULT_STRAGGLER_DELAY_MS = 5 * 60_000;
/** A day: a longer delay is a unit mistake (seconds or minutes given as ms are shorter, not longer). */
export const MAX_STRAGGLER_DELAY_MS = 86_400_000;

/** The three ports whose adapter the configuration chooses. */
export type PortName = 'log' | 'objectStore' | 'viewStore';
export const ALL_PORTS: readonly PortName[] = ['log', 'objectStore', 'viewStore'];

// What `LK_SERVICES=real` reaches when the environment names nothing else: the services
// docker-compose.yml runs, and `lk services up` starts, on these addresses and credentials.
/** The view store's PostgreSQL when DATABASE_URL is unset. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
/** The Kafka bootstrap address when KAFKA_BROKERS is unset. */
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
/** The S3 server when S3_ENDPOINT is unset, and its keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). */
export const DEFAULT_S3_ENDPOINT = 'http://127.0.0.1:9000';
export const DEFAULT_S3_ACCESS_KEY_ID = 'lambdakappa';
export const DEFAULT_S3_SECRET_ACCESS_KEY = 'lambdakappa-secret';

type Env = Readonly<Record<string, string | undefined>>;

/** The settings a user can give on the command line; they win over the environment. */
export interface ConfigOverrides {
  readonly services?: 'embedded' | 'real';
  readonly dataDir?: string;
  readonly port?: number;
  readonly stragglerDelayMs?: number;
  /**
   * A run id (see shared/run-id.ts): the topic, schema and prefix of each real service the user
   * did not name (LK_TOPIC, PG_SCHEMA, S3_PREFIX) are named after it. Embedded ports keep their
   * defaults: their data dir is the run's own.
   */
  readonly runId?: string;
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

function stragglerDelay(env: Env, override: number | undefined): number {
  if (override === undefined) return int(env, 'LK_STRAGGLER_DELAY_MS', DEFAULT_STRAGGLER_DELAY_MS, 0, MAX_STRAGGLER_DELAY_MS);
  if (!(Number.isInteger(override) && override >= 0 && override <= MAX_STRAGGLER_DELAY_MS)) {
    throw new ConfigError(`--straggler-delay-ms ${override} must be a whole number of ms from 0 to ${MAX_STRAGGLER_DELAY_MS}`);
  }
  return override;
}

/**
 * Reads and validates the configuration; throws ConfigError saying what to set. The settings of
 * `ports` (default: all) are validated now; another port's when it is first read (e.g. by its
 * adapter's open), throwing the same ConfigError then.
 */
export function loadConfig(env: Env, overrides: ConfigOverrides & { readonly pipeline: PipelineConfig }, ports: readonly PortName[] = ALL_PORTS): PlatformConfig {
  const services = overrides.services ?? choice(env, 'LK_SERVICES', ['embedded', 'real'] as const, 'embedded');
  const real = services === 'real';
  const dataDir = resolve(overrides.dataDir ?? env.LK_DATA_DIR ?? '.lk-data');
  const runId = overrides.runId;
  if (runId !== undefined && !RUN_ID_PATTERN.test(runId)) throw new ConfigError(`run id ${runId} must match ${RUN_ID_PATTERN}`);
  const userSet = (['LK_TOPIC', 'PG_SCHEMA', 'S3_PREFIX'] as const).filter((name) => (env[name] ?? '') !== '');
  // The run's name replaces a default only on a real service; read lazily like the port itself.
  const runName = (name: DataNameSetting, isReal: () => boolean) => (runId !== undefined && !userSet.includes(name) && isReal() ? runId : undefined);
  const readers: { readonly [P in PortName]: () => PlatformConfig[P] } = {
    log: () => logConfig(env, real, dataDir),
    objectStore: () => objectStoreConfig(env, real, dataDir, runName('S3_PREFIX', () => true)),
    viewStore: () => viewStoreConfig(env, real, dataDir, runName('PG_SCHEMA', () => true)),
  };
  const eventsTopic = runName('LK_TOPIC', () => readers.log().kind === 'kafka') ?? (env.LK_TOPIC || 'events');
  const config = {
    dataDir,
    scope: { runId: runId ?? null, userSet },
    topics: { events: eventsTopic, deadLetter: `${eventsTopic}.dead-letter`, late: `${eventsTopic}.late` },
    partitions: int(env, 'LK_PARTITIONS', 4, 1, 256),
    serving: { host: env.LK_HOST ?? '127.0.0.1', port: overrides.port ?? int(env, 'LK_PORT', 8080, 0, 65535), ...adminToken(env) },
    batch: { stragglerDelayMs: stragglerDelay(env, overrides.stragglerDelayMs) },
    // Loaded from the user's pipeline file by the caller (cli/pipeline-loader.ts): loading is I/O.
    pipeline: overrides.pipeline,
  } as Omit<PlatformConfig, PortName> as PlatformConfig;
  for (const port of ALL_PORTS) {
    if (ports.includes(port)) Object.defineProperty(config, port, { value: readers[port](), enumerable: true });
    else {
      let value: PlatformConfig[PortName] | undefined;
      Object.defineProperty(config, port, { get: () => (value ??= readers[port]()), enumerable: true });
    }
  }
  return config;
}

/** Where each embedded port keeps its files in a data dir (and where S3 objects are cached for DuckDB). */
function embeddedPaths(dataDir: string) {
  return { log: join(dataDir, 'log'), objects: join(dataDir, 'objects'), views: join(dataDir, 'views.duckdb'), s3Cache: join(dataDir, 's3-cache') };
}

/** The same configuration on another data dir: every embedded port's files move under `dir`; real services stay as they are. */
export function withDataDir(config: PlatformConfig, dir: string): PlatformConfig {
  const dataDir = resolve(dir);
  const p = embeddedPaths(dataDir);
  const log: LogConfig = config.log.kind === 'embedded' ? { kind: 'embedded', dir: p.log } : config.log;
  const objectStore: ObjectStoreConfig = config.objectStore.kind === 'local' ? { kind: 'local', dir: p.objects } : { ...config.objectStore, cacheDir: p.s3Cache };
  const viewStore: ViewStoreConfig = config.viewStore.kind === 'duckdb' ? { kind: 'duckdb', path: p.views } : config.viewStore;
  return { ...config, dataDir, log, objectStore, viewStore };
}

function logConfig(env: Env, real: boolean, dataDir: string): LogConfig {
  const logKind = choice(env, 'LK_LOG', ['embedded', 'kafka'] as const, real ? 'kafka' : 'embedded');
  if (logKind === 'kafka') {
    const raw = env.KAFKA_BROKERS ?? (real ? DEFAULT_KAFKA_BROKERS : '');
    const brokers = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (brokers.length === 0) throw new ConfigError('KAFKA_BROKERS is empty; set it (host:port,...) or run with the embedded log (LK_LOG=embedded)');
    for (const b of brokers) if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new ConfigError(`KAFKA_BROKERS entry "${b}" must be host:port`);
    const clientId = env.KAFKA_CLIENT_ID ?? 'lambdakappa';
    // How soon a crashed member's partitions move on; the broker bounds it (group.min/max.session.timeout.ms, 6 s to 30 min by default).
    const sessionTimeoutMs = env.KAFKA_SESSION_TIMEOUT_MS ? int(env, 'KAFKA_SESSION_TIMEOUT_MS', 10_000, 1_000, 3_600_000) : undefined;
    return sessionTimeoutMs === undefined ? { kind: 'kafka', brokers, clientId } : { kind: 'kafka', brokers, clientId, sessionTimeoutMs };
  }
  return { kind: 'embedded', dir: embeddedPaths(dataDir).log };
}

function objectStoreConfig(env: Env, real: boolean, dataDir: string, runPrefix: string | undefined): ObjectStoreConfig {
  const osKind = choice(env, 'LK_OBJECT_STORE', ['local', 's3'] as const, real ? 's3' : 'local');
  if (osKind === 's3') {
    const bucket = env.S3_BUCKET ?? (real ? 'lambdakappa' : '');
    if (!bucket) throw new ConfigError('S3_BUCKET is empty; set it or use the local object store (LK_OBJECT_STORE=local)');
    const endpoint = env.S3_ENDPOINT ?? (real ? DEFAULT_S3_ENDPOINT : undefined);
    if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) throw new ConfigError(`S3_ENDPOINT=${endpoint} must be an http(s) URL`);
    return {
      kind: 's3',
      bucket,
      prefix: (runPrefix ?? env.S3_PREFIX ?? '').replace(/^\/+|\/+$/g, ''),
      region: env.S3_REGION ?? env.AWS_REGION ?? 'us-east-1',
      endpoint,
      forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined),
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? (real ? DEFAULT_S3_ACCESS_KEY_ID : undefined),
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? (real ? DEFAULT_S3_SECRET_ACCESS_KEY : undefined),
      cacheDir: embeddedPaths(dataDir).s3Cache,
    };
  }
  return { kind: 'local', dir: embeddedPaths(dataDir).objects };
}

function viewStoreConfig(env: Env, real: boolean, dataDir: string, runSchema: string | undefined): ViewStoreConfig {
  const vsKind = choice(env, 'LK_VIEW_STORE', ['duckdb', 'postgres'] as const, real ? 'postgres' : 'duckdb');
  if (vsKind === 'postgres') {
    // The documented default (README, docker-compose.yml) whichever switch chose PostgreSQL.
    const url = env.DATABASE_URL || DEFAULT_DATABASE_URL;
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_URL must start with postgres://');
    const schema = runSchema ?? (env.PG_SCHEMA || 'lambdakappa');
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(schema)) throw new ConfigError(`PG_SCHEMA=${schema} must be a lowercase SQL identifier`);
    return { kind: 'postgres', url, schema };
  }
  return { kind: 'duckdb', path: embeddedPaths(dataDir).views };
}
