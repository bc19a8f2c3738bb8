import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, LkError } from '../../../shared/errors.ts';
import { brokerArgs, formatLogDirectory } from '../kafka/broker-jvm.ts';
import { brokerProperties } from '../kafka/broker-properties.ts';
import { kafkaJarsCached, resolveKafkaJars } from '../kafka/kafka-jars.ts';
import { fileTail, portAnswers } from '../local-process.ts';
import { jarCacheDir, requireMaven } from '../maven.ts';
import { livePid, spawnDetached, stopDetached } from './detached-process.ts';
import { requireJava } from './java-check.ts';
import type { ManagedService, ServiceState } from './managed-service.ts';
import type { ServicesLayout } from './services-layout.ts';
import { waitUntilAnswering } from './wait-until.ts';

/** A cold JVM on a busy 2-core machine needs tens of seconds at worst. */
const READY_TIMEOUT_MS = 120_000;
/** A broker's controlled shutdown takes a few seconds; past this it is killed. */
const STOP_GRACE_MS = 30_000;
/** The way around a missing java or mvn. */
const HINT = 'run the stack with docker compose instead (docker-compose.yml)';

/**
 * Apache Kafka 3.9 (KRaft, broker and controller in one JVM) from its Maven Central jars, kept in
 * `<dir>/kafka`: its log directory is formatted once and kept across `down` and `up`.
 */
export function kafkaService(layout: ServicesLayout): ManagedService {
  const dir = join(layout.dir, 'kafka');
  const properties = join(dir, 'server.properties');
  const pidFile = join(dir, 'kafka.pid');
  const logFile = join(dir, 'broker.log');
  const logDir = join(dir, 'data');
  const { port, controllerPort } = layout.kafka;

  const status = async (): Promise<ServiceState> => {
    const pid = await livePid(pidFile, properties);
    const answers = await portAnswers('127.0.0.1', port);
    if (pid !== undefined) return answers ? { kind: 'running', port, owner: 'lk', pid } : { kind: 'starting', port, pid };
    if (answers) return { kind: 'port taken', port, holder: 'another process (a Kafka from docker compose?)' };
    return { kind: 'stopped', port };
  };

  return {
    name: 'kafka',
    status,
    async preflight(state) {
      if (state.kind === 'port taken') throw new ConfigError(`kafka: 127.0.0.1:${port} is held by ${state.holder}: stop it, or choose another port with --kafka-port`);
      if (state.kind !== 'stopped') return;
      if (await portAnswers('127.0.0.1', controllerPort)) {
        throw new ConfigError(`kafka: the controller port 127.0.0.1:${controllerPort} is held by another process: stop it, or choose another with --kafka-controller-port`);
      }
      await requireJava('the local Kafka broker', HINT);
      if (!(await kafkaJarsCached(jarCacheDir()))) await requireMaven({ what: "Kafka's jars", hint: HINT });
    },
    async start(log) {
      const java = await requireJava('the local Kafka broker', HINT);
      const jars = await resolveKafkaJars(jarCacheDir(), log);
      await mkdir(dir, { recursive: true });
      await writeFile(properties, brokerProperties({ port, controllerPort, logDir }));
      // Formatted once: formatting again would refuse the directory (another cluster id) or lose the topics.
      const formatted = await access(join(logDir, 'meta.properties')).then(() => true, () => false);
      if (!formatted) await formatLogDirectory(java, jars, properties);
      const child = await spawnDetached({ command: java, args: brokerArgs(jars, properties, dir), logFile, pidFile });
      // The broker opens its client listener last, once it has caught up with the metadata log.
      const started = await waitUntilAnswering(() => portAnswers('127.0.0.1', port), child.exited, READY_TIMEOUT_MS);
      if (started !== 'ready') {
        await stopDetached(child.pid, pidFile, 5_000).catch(() => undefined);
        throw new LkError(`kafka did not start (${started}); ${logFile} ends with:\n${await fileTail(logFile, 30, '(no output)')}`);
      }
      log(`kafka: listening on 127.0.0.1:${port} (pid ${child.pid}, data in ${logDir})`);
      return { kind: 'running', port, owner: 'lk', pid: child.pid };
    },
    async stop() {
      const pid = await livePid(pidFile, properties);
      if (pid === undefined) return 'was not running';
      return (await stopDetached(pid, pidFile, STOP_GRACE_MS)) === 'killed' ? 'killed after the grace period' : 'stopped';
    },
  };
}
