import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, LkError } from '../../../shared/errors.ts';
import { fileTail, portAnswers } from '../local-process.ts';
import { jarCacheDir, requireMaven } from '../maven.ts';
import { resolveS3ProxyJar, s3ProxyJarCached } from '../s3/s3proxy-jar.ts';
import { s3ProxyCommand, s3ProxyHealthy, s3ProxyProperties } from '../s3/s3proxy-launch.ts';
import { livePid, spawnDetached, stopDetached } from './detached-process.ts';
import { requireJava } from './java-check.ts';
import type { ManagedService, ServiceState } from './managed-service.ts';
import type { ServicesLayout } from './services-layout.ts';
import { waitUntilAnswering } from './wait-until.ts';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
/** The way around a missing java or mvn. */
const HINT = 'run the stack with docker compose instead (docker-compose.yml)';

/** S3Proxy (the server docker-compose.yml runs) from its Maven Central jar, keeping its objects in `<dir>/s3/data`. */
export function s3Service(layout: ServicesLayout): ManagedService {
  const dir = join(layout.dir, 's3');
  const properties = join(dir, 's3proxy.properties');
  const pidFile = join(dir, 's3proxy.pid');
  const logFile = join(dir, 's3proxy.log');
  const dataDir = join(dir, 'data');
  const { port } = layout.s3;
  const endpoint = `http://127.0.0.1:${port}`;

  const status = async (): Promise<ServiceState> => {
    const pid = await livePid(pidFile, properties);
    if (pid !== undefined) return (await s3ProxyHealthy(endpoint)) ? { kind: 'running', port, owner: 'lk', pid } : { kind: 'starting', port, pid };
    if (await portAnswers('127.0.0.1', port)) return { kind: 'port taken', port, holder: 'another process (an S3 server from docker compose?)' };
    return { kind: 'stopped', port };
  };

  return {
    name: 's3',
    status,
    async preflight(state) {
      if (state.kind === 'port taken') throw new ConfigError(`s3: 127.0.0.1:${port} is held by ${state.holder}: stop it, or choose another port with --s3-port`);
      if (state.kind !== 'stopped') return;
      await requireJava('S3Proxy', HINT);
      if (!(await s3ProxyJarCached(jarCacheDir()))) await requireMaven({ what: 'S3Proxy', hint: HINT });
    },
    async start(log) {
      await requireJava('S3Proxy', HINT);
      const jar = await resolveS3ProxyJar(jarCacheDir(), log);
      await mkdir(dataDir, { recursive: true });
      await writeFile(properties, s3ProxyProperties({ endpoint, dataDir }));
      const { command, args, env } = s3ProxyCommand(jar, properties);
      const child = await spawnDetached({ command, args, env, logFile, pidFile });
      const started = await waitUntilAnswering(() => s3ProxyHealthy(endpoint), child.exited, READY_TIMEOUT_MS);
      if (started !== 'ready') {
        await stopDetached(child.pid, pidFile, 5_000).catch(() => undefined);
        throw new LkError(`s3 (S3Proxy) did not start (${started}); ${logFile} ends with:\n${await fileTail(logFile, 30, '(no output)')}`);
      }
      log(`s3: S3Proxy listening on ${endpoint} (pid ${child.pid}, objects in ${dataDir})`);
      return { kind: 'running', port, owner: 'lk', pid: child.pid };
    },
    async stop() {
      const pid = await livePid(pidFile, properties);
      if (pid === undefined) return 'was not running';
      return (await stopDetached(pid, pidFile, STOP_GRACE_MS)) === 'killed' ? 'killed after the grace period' : 'stopped';
    },
  };
}
