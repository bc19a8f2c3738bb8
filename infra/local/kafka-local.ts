import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LkError } from '../../shared/errors.ts';
import { javaCommand, javaMissing } from './java.ts';
import { brokerArgs, formatLogDirectory } from './kafka/broker-jvm.ts';
import { brokerProperties } from './kafka/broker-properties.ts';
import { resolveKafkaJars } from './kafka/kafka-jars.ts';
import { jarCacheDir } from './maven.ts';
import { fileTail, freePorts, portAnswers, stopProcess } from './local-process.ts';

/** A running local Kafka broker and how to reach it. */
export interface LocalKafka {
  /** Bootstrap address, host:port (a KAFKA_BROKERS value). */
  readonly brokers: string;
  /** Stops the broker and removes its workDir (the topics). */
  stop(): Promise<void>;
  /** Kills the broker at once (SIGKILL, as `kill -9`), keeping its data; restart() brings it back. */
  kill(): Promise<void>;
  /** Starts the killed (or stopped-by-kill) broker again on the same ports and data; resolves once it serves. */
  restart(): Promise<void>;
}

export interface LocalKafkaOptions {
  /** Holds the broker's log directory, properties and output; removed by stop(). */
  readonly workDir: string;
  /** Where the broker's jars are cached between runs (default $LK_CACHE_DIR or ~/.cache/lambdakappa). */
  readonly cacheDir?: string;
  readonly log?: (msg: string) => void;
  /** Extra server.properties settings, e.g. a lower `group.min.session.timeout.ms` for fault tests. */
  readonly brokerSettings?: Readonly<Record<string, string>>;
}

/** A cold JVM on a busy 2-core machine (other services starting alongside) needs tens of seconds at worst. */
const READY_TIMEOUT_MS = 120_000;
/** Free-port probing can race another process for the port; a few tries settle it. */
const START_ATTEMPTS = 3;

/**
 * Starts a single-node Apache Kafka 3.9 broker (KRaft, no ZooKeeper) from its Maven Central jars
 * on free loopback ports, for tests and demos without Docker: resolves the jars (cached), formats
 * a fresh log directory in `workDir` (kafka.tools.StorageTool, what kafka-storage.sh runs), starts
 * `kafka.Kafka` (what kafka-server-start.sh runs) and resolves once it accepts connections. Needs
 * Java 17+ (and Maven the first time). On failure it throws with the tail of the broker's output.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  const log = options.log ?? (() => undefined);
  const cacheDir = options.cacheDir ?? jarCacheDir();
  const jars = await resolveKafkaJars(cacheDir, log);
  const java = javaCommand();
  await mkdir(options.workDir, { recursive: true });
  const logDir = join(options.workDir, 'data');
  const outFile = join(options.workDir, 'broker.log');

  for (let attempt = 1; ; attempt++) {
    const [port, controllerPort] = await freePorts(2);
    const properties = join(options.workDir, 'server.properties');
    await writeFile(properties, brokerProperties({ port, controllerPort, logDir, extra: options.brokerSettings }));
    // A fresh cluster every start: formatting refuses a directory another cluster id formatted.
    await rm(logDir, { recursive: true, force: true });
    await formatLogDirectory(java, jars, properties);

    const child = spawnBroker(java, jars, properties, options.workDir, outFile);
    const started = await waitUntilListening(child, port);
    if (started === 'ready') {
      log(`kafka: broker listening on 127.0.0.1:${port} (data in ${logDir})`);
      return runningBroker(child, port, options.workDir, () => spawnBroker(java, jars, properties, options.workDir, outFile, 'a'), log);
    }
    await stopProcess(child);
    const tail = await fileTail(outFile, 40, '(no output)');
    if (!/Address already in use|BindException/.test(tail) || attempt >= START_ATTEMPTS) {
      await rm(options.workDir, { recursive: true, force: true });
      throw new LkError(`the local Kafka broker did not start (${started}); its output ends with:\n${tail}`);
    }
    log(`kafka: port ${port} or ${controllerPort} was taken meanwhile, trying others`);
  }
}

/** The handle of a started broker: stop for good, or kill and restart it in place (same ports, same log directory). */
function runningBroker(first: ChildProcess, port: number, workDir: string, respawn: () => ChildProcess, log: (msg: string) => void): LocalKafka {
  let child = first;
  let stopping: Promise<void> | undefined;
  const killChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    brokers: `127.0.0.1:${port}`,
    stop: () =>
      (stopping ??= (async () => {
        await stopProcess(child);
        await rm(workDir, { recursive: true, force: true });
      })()),
    kill: killChild,
    restart: async () => {
      if (stopping) throw new LkError('this local Kafka broker was stopped for good (stop() removed its data); start a new one');
      await killChild();
      for (const began = Date.now(); ; ) {
        child = respawn();
        const started = await waitUntilListening(child, port);
        if (started === 'ready') break;
        await stopProcess(child);
        const tail = await fileTail(join(workDir, 'broker.log'), 40, '(no output)');
        // The killed JVM's port can stay taken for a moment; anything else, or for long, is a failure.
        if (!/Address already in use|BindException/.test(tail) || Date.now() - began > READY_TIMEOUT_MS) {
          throw new LkError(`the local Kafka broker did not restart (${started}); its output ends with:\n${tail}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      log(`kafka: broker restarted on 127.0.0.1:${port}`);
    },
  };
}

function spawnBroker(java: string, jars: string, properties: string, workDir: string, outFile: string, mode: 'w' | 'a' = 'w'): ChildProcess {
  const fd = openSync(outFile, mode);
  try {
    const child = spawn(java, brokerArgs(jars, properties, workDir), { stdio: ['ignore', fd, fd] });
    // If this process exits without stop(), do not leave the JVM behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    return child;
  } finally {
    closeSync(fd);
  }
}

/**
 * Polls the broker's port; resolves 'ready', or why it never was. The broker opens its client
 * listener last, once it has caught up with the metadata log, so a connection means it serves.
 */
async function waitUntilListening(child: ChildProcess, port: number): Promise<string> {
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError?.code === 'ENOENT') throw javaMissing('java', 'the local Kafka broker', 'set KAFKA_BROKERS to a running broker');
    if (spawnError) return `java failed to start: ${spawnError.message}`;
    if (child.exitCode !== null || child.signalCode !== null) return `java exited with ${child.exitCode ?? child.signalCode}`;
    if (await portAnswers('127.0.0.1', port)) return 'ready';
    await new Promise((r) => setTimeout(r, 100));
  }
  return `nothing listening on 127.0.0.1:${port} within ${READY_TIMEOUT_MS / 1000} s`;
}
