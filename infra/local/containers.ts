/**
 * The services as Docker containers, through testcontainers (the only file importing it), for
 * machines with a Docker engine. Without one, infra/local/kafka-local.ts, s3-local.ts and
 * postgres-local.ts run the same servers as local processes.
 */
import { GenericContainer, getContainerRuntimeClient, RandomPortGenerator, Wait, type StartedTestContainer } from 'testcontainers';
import { DEFAULT_S3_ACCESS_KEY_ID, DEFAULT_S3_SECRET_ACCESS_KEY } from '../../shared/config.ts';
import { ServiceUnavailableError } from '../../shared/errors.ts';

/** Apache Kafka's own image; 3.9 is the last line kafkajs works with (4.0 dropped old protocol versions). */
export const KAFKA_IMAGE = 'apache/kafka:3.9.2';
export const POSTGRES_IMAGE = 'postgres:16-alpine';
/** The S3Proxy release the local-process path fetches too (infra/local/s3/pom.xml). */
export const S3PROXY_IMAGE = 'andrewgaul/s3proxy:4.1.0';

/** The credentials the platform's `LK_SERVICES=real` defaults use. */
const S3_ACCESS_KEY_ID = DEFAULT_S3_ACCESS_KEY_ID;
const S3_SECRET_ACCESS_KEY = DEFAULT_S3_SECRET_ACCESS_KEY;
const S3_REGION = 'us-east-1';
const POSTGRES_PASSWORD = 'postgres';
const POSTGRES_DB = 'test';
/** Image pulls on a cold machine dominate; the servers themselves start in seconds. */
const STARTUP_TIMEOUT_MS = 180_000;

export interface ContainerKafka {
  readonly brokers: string;
}
export interface ContainerPostgres {
  readonly url: string;
}
export interface ContainerS3 {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The started containers (only those asked for) and how to stop them. */
export interface Containers {
  readonly kafka?: ContainerKafka;
  readonly postgres?: ContainerPostgres;
  readonly s3?: ContainerS3;
  /** Stops every container started (testcontainers' reaper also removes them if this process dies). */
  stop(): Promise<void>;
}

/** Which services to start. */
export interface ContainerChoice {
  readonly kafka?: boolean;
  readonly postgres?: boolean;
  readonly s3?: boolean;
}

/** Whether a Docker engine answers within `timeoutMs` (testcontainers' own runtime detection). */
export async function dockerAvailable(timeoutMs = 5_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const probe = getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the chosen services in parallel. If one fails, the others are stopped and the error says
 * which image did not come up.
 */
export async function startContainers(choice: ContainerChoice = { kafka: true, postgres: true, s3: true }): Promise<Containers> {
  const started: StartedTestContainer[] = [];
  const track = async <T>(image: string, start: () => Promise<{ container: StartedTestContainer; value: T }>): Promise<T> => {
    try {
      const { container, value } = await start();
      started.push(container);
      return value;
    } catch (err) {
      throw new ServiceUnavailableError('docker', `container ${image} did not start (is the image reachable? is Docker healthy?): ${(err as Error).message}`, err);
    }
  };
  const stop = async () => {
    await Promise.all(started.splice(0).map((c) => c.stop().catch(() => undefined)));
  };
  const results = await Promise.allSettled([
    choice.kafka ? track(KAFKA_IMAGE, startKafka) : undefined,
    choice.postgres ? track(POSTGRES_IMAGE, startPostgres) : undefined,
    choice.s3 ? track(S3PROXY_IMAGE, startS3) : undefined,
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [kafka, postgres, s3] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as [
    ContainerKafka | undefined,
    ContainerPostgres | undefined,
    ContainerS3 | undefined,
  ];
  return { kafka, postgres, s3, stop };
}

/**
 * A single-node KRaft broker. A client reaches Kafka at the address the broker advertises, which
 * must be the host's side of the port mapping, known only after start; so the host port is picked
 * first and bound explicitly.
 */
async function startKafka(): Promise<{ container: StartedTestContainer; value: ContainerKafka }> {
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const port = await new RandomPortGenerator().generatePort();
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      // Any KAFKA_* variable replaces the image's default config, so all required settings are here.
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,CONTROLLER://localhost:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_HEAP_OPTS: '-Xmx512m -Xms64m',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  return { container, value: { brokers: `${host}:${port}` } };
}

async function startPostgres(): Promise<{ container: StartedTestContainer; value: ContainerPostgres }> {
  const container = await new GenericContainer(POSTGRES_IMAGE)
    .withExposedPorts(5432)
    .withEnvironment({ POSTGRES_PASSWORD, POSTGRES_DB })
    // The entrypoint starts the server twice (init scripts, then for real): wait for the second.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  const url = `postgres://postgres:${POSTGRES_PASSWORD}@${container.getHost()}:${container.getMappedPort(5432)}/${POSTGRES_DB}`;
  return { container, value: { url } };
}

async function startS3(): Promise<{ container: StartedTestContainer; value: ContainerS3 }> {
  const container = await new GenericContainer(S3PROXY_IMAGE)
    .withExposedPorts(80)
    .withEnvironment({
      S3PROXY_ENDPOINT: 'http://0.0.0.0:80',
      S3PROXY_AUTHORIZATION: 'aws-v2-or-v4',
      S3PROXY_IDENTITY: S3_ACCESS_KEY_ID,
      S3PROXY_CREDENTIAL: S3_SECRET_ACCESS_KEY,
      JCLOUDS_PROVIDER: 'filesystem',
      JCLOUDS_FILESYSTEM_BASEDIR: '/data',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  const endpoint = `http://${container.getHost()}:${container.getMappedPort(80)}`;
  return { container, value: { endpoint, region: S3_REGION, accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY } };
}
