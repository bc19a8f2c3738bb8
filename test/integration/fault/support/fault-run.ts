import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LkProcess } from '../../../../bench/lk-process.ts';
import { openAdapters, type Adapters } from '../../../../infra/adapters.ts';
import { compilePipeline, type Pipeline } from '../../../../shared/compute/pipeline.ts';
import { loadConfig, type PlatformConfig } from '../../../../shared/config.ts';
import { dropPgSchema } from '../../../support/pg-schema.ts';
import { uniqueName } from '../../../support/services.ts';
import { FAULT_SESSION_TIMEOUT_MS } from './fault-services.ts';
import { ecommerceConfig } from '../../../support/ecommerce.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** One fault scenario's own topic, schema and data directory on the given services, and the `lk` processes it runs there. */
export interface FaultRun {
  /** The environment `lk` children get (LK_SERVICES=real, this run's topic and schema, the local object store). */
  readonly env: Env;
  readonly config: PlatformConfig;
  readonly pipeline: Pipeline;
  /** Starts `lk <args>` as a child process (with `env` over the run's); every child still running is killed by cleanup(). */
  lk(args: readonly string[], options?: { readonly stdin?: 'pipe'; readonly env?: Env }): LkProcess;
  /** Opens the run's adapters in this process (the test's own view of the log and the stores). */
  adapters(): Promise<Adapters>;
  /** Kills the children still running, drops the schema, removes the data directory. */
  cleanup(): Promise<void>;
}

export interface FaultRunOptions {
  readonly brokers: string;
  readonly databaseUrl: string;
  readonly partitions: number;
  /** Prefix of the topic and schema names. */
  readonly name: string;
  /**
   * Consumer groups with the short session timeout (FAULT_SESSION_TIMEOUT_MS), which only the
   * private brokers accept (default true). False for a run on the shared broker.
   */
  readonly shortSessions?: boolean;
}

/** Sets up a run: nothing is created on the services until a process or adapter does. */
export async function openFaultRun(options: FaultRunOptions): Promise<FaultRun> {
  const dataDir = await mkdtemp(join(tmpdir(), `lk-fault-${options.name}-`));
  const schema = uniqueName(`fault_${options.name}`).replaceAll('-', '_').toLowerCase();
  const env: Env = {
    ...process.env,
    LK_SERVICES: 'real',
    KAFKA_BROKERS: options.brokers,
    KAFKA_SESSION_TIMEOUT_MS: (options.shortSessions ?? true) ? String(FAULT_SESSION_TIMEOUT_MS) : undefined,
    DATABASE_URL: options.databaseUrl,
    PG_SCHEMA: schema,
    LK_OBJECT_STORE: 'local',
    LK_TOPIC: uniqueName(`fault-${options.name}`),
    LK_PARTITIONS: String(options.partitions),
    LK_DATA_DIR: dataDir,
  };
  const config = loadConfig(env, { pipeline: ecommerceConfig() });
  const children: LkProcess[] = [];
  return {
    env,
    config,
    pipeline: compilePipeline(config.pipeline),
    lk: (args, o) => {
      const child = new LkProcess(args, { ...env, ...o?.env }, o);
      children.push(child);
      return child;
    },
    adapters: () => openAdapters(config),
    cleanup: async () => {
      await Promise.all(children.map((c) => c.kill('SIGKILL')));
      await dropPgSchema(options.databaseUrl, schema).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
