import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_DATABASE_URL, DEFAULT_KAFKA_BROKERS, DEFAULT_S3_ENDPOINT } from '../../../shared/config.ts';
import { ConfigError } from '../../../shared/errors.ts';

/**
 * Where `lk services` keeps and runs its servers. The addresses are the ones `LK_SERVICES=real`
 * reaches, so a run needs no settings: each port comes from its flag, else from the variable a
 * real-mode run reads (KAFKA_BROKERS, S3_ENDPOINT, DATABASE_URL), else from the ports the last
 * `up` used (`<dir>/services.json`, so `status` and `down` need only --dir), else from that
 * variable's default (shared/config.ts). Servers listen on loopback only.
 */
export interface ServicesLayout {
  /** Holds kafka/, s3/ and postgres/: each server's data, settings, log and pid file. */
  readonly dir: string;
  readonly kafka: { readonly port: number; readonly controllerPort: number };
  readonly s3: { readonly port: number };
  /** The login a real-mode run uses (DATABASE_URL or its default), on `port`. */
  readonly postgres: { readonly port: number; readonly url: string };
}

/** The flags of `lk services` that choose the layout (each undefined when not given). */
export interface LayoutFlags {
  readonly dir?: string;
  readonly kafkaPort?: number;
  readonly kafkaControllerPort?: number;
  readonly s3Port?: number;
  readonly postgresPort?: number;
}

/** The default directory, relative to the working directory: not under the demo's data dir, which `lk demo` clears. */
export const DEFAULT_SERVICES_DIR = '.lk/services';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

type Env = Readonly<Record<string, string | undefined>>;
const SAVED = 'services.json';

/** The layout from flags, environment and the last `up`; throws ConfigError for an address it cannot serve (not loopback, several brokers). */
export async function servicesLayout(env: Env, flags: LayoutFlags): Promise<ServicesLayout> {
  const dir = resolve(flags.dir ?? (env.LK_SERVICES_DIR || DEFAULT_SERVICES_DIR));
  const saved = await readSaved(dir);
  const kafkaPort = flags.kafkaPort ?? (env.KAFKA_BROKERS ? kafkaPortOf(env.KAFKA_BROKERS) : (saved?.kafka.port ?? kafkaPortOf(DEFAULT_KAFKA_BROKERS)));
  // The controller listens next to the broker, as in docker-compose.yml (9092 and 9093).
  const controllerPort = flags.kafkaControllerPort ?? (saved?.kafka.port === kafkaPort ? saved.kafka.controllerPort : kafkaPort + 1);
  const s3Port = flags.s3Port ?? (env.S3_ENDPOINT ? portOf('S3_ENDPOINT', env.S3_ENDPOINT, 80) : (saved?.s3.port ?? portOf('S3_ENDPOINT', DEFAULT_S3_ENDPOINT, 80)));
  const url = new URL(env.DATABASE_URL || DEFAULT_DATABASE_URL);
  const postgresPort = flags.postgresPort ?? (env.DATABASE_URL ? portOf('DATABASE_URL', url.href, 5432) : (saved?.postgres.port ?? portOf('DATABASE_URL', url.href, 5432)));
  url.port = String(postgresPort);
  return { dir, kafka: { port: kafkaPort, controllerPort }, s3: { port: s3Port }, postgres: { port: postgresPort, url: url.href } };
}

/** Records the layout `up` used in its directory, for later `status` and `down`. */
export async function saveLayout(layout: ServicesLayout): Promise<void> {
  await mkdir(layout.dir, { recursive: true });
  // Ports only: DATABASE_URL's password stays in the environment.
  const ports = { kafka: layout.kafka, s3: layout.s3, postgres: { port: layout.postgres.port } };
  await writeFile(join(layout.dir, SAVED), `${JSON.stringify(ports, null, 2)}\n`);
}

/** What services.json holds. */
interface SavedPorts {
  readonly kafka: { readonly port: number; readonly controllerPort: number };
  readonly s3: { readonly port: number };
  readonly postgres: { readonly port: number };
}

async function readSaved(dir: string): Promise<SavedPorts | undefined> {
  const text = await readFile(join(dir, SAVED), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as SavedPorts;
  } catch {
    throw new ConfigError(`${join(dir, SAVED)} is not valid JSON: remove it (it only remembers the ports of the last \`lk services up\`)`);
  }
}

/** The settings a real-mode run needs to reach the layout's servers: only those whose default would miss them. */
export function realModeEnv(layout: ServicesLayout, env: Env): Record<string, string> {
  const wanted = {
    KAFKA_BROKERS: `127.0.0.1:${layout.kafka.port}`,
    S3_ENDPOINT: `http://127.0.0.1:${layout.s3.port}`,
    DATABASE_URL: layout.postgres.url,
  };
  const reached = {
    KAFKA_BROKERS: env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS,
    S3_ENDPOINT: env.S3_ENDPOINT || DEFAULT_S3_ENDPOINT,
    DATABASE_URL: new URL(env.DATABASE_URL || DEFAULT_DATABASE_URL).href,
  };
  return Object.fromEntries(Object.entries(wanted).filter(([k, v]) => reached[k as keyof typeof reached] !== v));
}

function kafkaPortOf(brokers: string): number {
  const list = brokers.split(',').map((b) => b.trim()).filter(Boolean);
  if (list.length !== 1) throw new ConfigError(`KAFKA_BROKERS=${brokers} names ${list.length} brokers; lk services runs one on this machine: set one 127.0.0.1:<port>, or pass --kafka-port`);
  return portOf('KAFKA_BROKERS', `kafka://${list[0]}`, 9092);
}

function portOf(name: string, address: string, fallback: number): number {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new ConfigError(`${name}=${address} is not an address lk services can read`);
  }
  if (!LOOPBACK.has(url.hostname)) {
    throw new ConfigError(`${name} points at ${url.hostname}; lk services runs its servers on this machine (127.0.0.1): unset ${name}, or pass the port as a flag (see --help)`);
  }
  return url.port ? Number(url.port) : fallback;
}
