import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LkError } from '../../shared/errors.ts';
import { javaMissing } from './java.ts';
import { jarCacheDir } from './maven.ts';
import { fileTail, freePort, stopper, stopProcess } from './local-process.ts';
import { resolveS3ProxyJar } from './s3/s3proxy-jar.ts';
import { s3ProxyCommand, s3ProxyHealthy, s3ProxyProperties, S3PROXY_ACCESS_KEY_ID, S3PROXY_REGION, S3PROXY_SECRET_ACCESS_KEY } from './s3/s3proxy-launch.ts';

/** A running local S3 server and how to reach it. */
export interface LocalS3 {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Stops the server and removes its workDir (the stored objects). */
  stop(): Promise<void>;
}

export interface LocalS3Options {
  /** Holds the server's data, properties and log; removed by stop(). */
  readonly workDir: string;
  /** Where the S3Proxy jar is cached between runs (default $LK_CACHE_DIR or ~/.cache/lambdakappa). */
  readonly cacheDir?: string;
  readonly log?: (m: string) => void;
}

const READY_TIMEOUT_MS = 60_000;
/** Free-port probing can race another process for the port; a few tries settle it. */
const START_ATTEMPTS = 3;

/**
 * Starts S3Proxy (the server the docker-compose setup runs, from its Maven Central jar) on a free
 * loopback port with the filesystem backend in `workDir` and AWS v4 auth, for tests and demos
 * without Docker. Needs Java 17+ (and Maven the first time, to fetch the jar). Resolves once the
 * server answers its health check.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const log = options.log ?? (() => undefined);
  const cacheDir = options.cacheDir ?? jarCacheDir();
  const jar = await resolveS3ProxyJar(cacheDir, log);
  const dataDir = join(options.workDir, 'data');
  await mkdir(dataDir, { recursive: true });

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const properties = join(options.workDir, 's3proxy.properties');
    await writeFile(properties, s3ProxyProperties({ endpoint, dataDir }));
    const logFile = join(options.workDir, 's3proxy.log');
    const child = spawnS3Proxy(jar, properties, logFile);
    const started = await waitUntilReady(child, endpoint, logFile);
    if (started === 'ready') {
      log(`s3proxy: listening on ${endpoint} (data in ${dataDir})`);
      return { endpoint, region: S3PROXY_REGION, accessKeyId: S3PROXY_ACCESS_KEY_ID, secretAccessKey: S3PROXY_SECRET_ACCESS_KEY, stop: stopper(child, options.workDir) };
    }
    await stopProcess(child);
    const tail = await fileTail(logFile, 30, '(no log)');
    if (!/Address already in use|BindException/.test(tail) || attempt >= START_ATTEMPTS) {
      await rm(options.workDir, { recursive: true, force: true });
      throw new LkError(`S3Proxy did not start (${started}); its log ends with:\n${tail}`);
    }
    log(`s3proxy: port ${port} was taken meanwhile, trying another`);
  }
}

function spawnS3Proxy(jar: string, properties: string, logFile: string): ChildProcess {
  const fd = openSync(logFile, 'w');
  try {
    const { command, args, env } = s3ProxyCommand(jar, properties);
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], env });
    // If this process exits without stop(), do not leave the JVM behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Polls /healthz (unauthenticated in S3Proxy); resolves 'ready', or why it never was. */
async function waitUntilReady(child: ChildProcess, endpoint: string, logFile: string): Promise<string> {
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError?.code === 'ENOENT') throw javaMissing('java', 'local S3 runs S3Proxy, which', 'point S3_ENDPOINT at an S3 server');
    if (spawnError) return `java failed to start: ${spawnError.message}`;
    if (child.exitCode !== null || child.signalCode !== null) return `java exited with ${child.exitCode ?? child.signalCode}`;
    if (await s3ProxyHealthy(endpoint)) return 'ready';
    await new Promise((r) => setTimeout(r, 100));
  }
  return `no answer on ${endpoint}/healthz within ${READY_TIMEOUT_MS / 1000} s (log: ${logFile})`;
}
