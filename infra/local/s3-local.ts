import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, LkError } from '../../shared/errors.ts';
import { fileTail, freePort, stopper, stopProcess } from './local-process.ts';
import { resolveS3ProxyJar } from './s3/s3proxy-jar.ts';

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

/** The credentials of the local server: the defaults `LK_SERVICES=real` uses (shared/config.ts), so lk works against it as is. */
const ACCESS_KEY_ID = 'lambdakappa';
const SECRET_ACCESS_KEY = 'lambdakappa-secret';
const REGION = 'us-east-1';
const READY_TIMEOUT_MS = 60_000;
/** Free-port probing can race another process for the port; a few tries settle it. */
const START_ATTEMPTS = 3;
/** A test server needs little heap; the serial collector and C1 only start faster and leave the 2 cores to the tests. */
const JVM_OPTIONS = ['-Xms32m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/**
 * Starts S3Proxy (the server the docker-compose setup runs, from its Maven Central jar) on a free
 * loopback port with the filesystem backend in `workDir` and AWS v4 auth, for tests and demos
 * without Docker. Needs Java 17+ (and Maven the first time, to fetch the jar). Resolves once the
 * server answers its health check.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const log = options.log ?? (() => undefined);
  const cacheDir = options.cacheDir ?? process.env.LK_CACHE_DIR ?? join(homedir(), '.cache', 'lambdakappa');
  const jar = await resolveS3ProxyJar(cacheDir, log);
  const dataDir = join(options.workDir, 'data');
  await mkdir(dataDir, { recursive: true });

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const properties = join(options.workDir, 's3proxy.properties');
    await writeFile(properties, propertiesText({ endpoint, dataDir }));
    const logFile = join(options.workDir, 's3proxy.log');
    const child = spawnS3Proxy(jar, properties, logFile);
    const started = await waitUntilReady(child, endpoint, logFile);
    if (started === 'ready') {
      log(`s3proxy: listening on ${endpoint} (data in ${dataDir})`);
      return { endpoint, region: REGION, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, stop: stopper(child, options.workDir) };
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

function propertiesText(o: { endpoint: string; dataDir: string }): string {
  // Java properties read '\' as an escape.
  const esc = (v: string) => v.replaceAll('\\', '\\\\');
  return [
    `s3proxy.endpoint=${o.endpoint}`,
    's3proxy.authorization=aws-v2-or-v4',
    `s3proxy.identity=${ACCESS_KEY_ID}`,
    `s3proxy.credential=${SECRET_ACCESS_KEY}`,
    // The size a single PUT may have, as in the andrewgaul/s3proxy image; larger files go multipart.
    's3proxy.v4-max-non-chunked-request-size=134217728',
    // filesystem-nio2 is what plain "filesystem" means since S3Proxy 4 and what the Docker image uses.
    'jclouds.provider=filesystem-nio2',
    `jclouds.filesystem.basedir=${esc(o.dataDir)}`,
    '',
  ].join('\n');
}

function spawnS3Proxy(jar: string, properties: string, logFile: string): ChildProcess {
  const fd = openSync(logFile, 'w');
  try {
    const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
    const child = spawn(java, [...JVM_OPTIONS, '-jar', jar, '--properties', properties], {
      stdio: ['ignore', fd, fd],
      // S3Proxy logs through logback; LOG_LEVEL is the knob its Docker image exposes too.
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    });
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
    if (spawnError?.code === 'ENOENT') throw new ConfigError('`java` was not found: local S3 runs S3Proxy, which needs Java 17+. Install it, or point S3_ENDPOINT at an S3 server');
    if (spawnError) return `java failed to start: ${spawnError.message}`;
    if (child.exitCode !== null || child.signalCode !== null) return `java exited with ${child.exitCode ?? child.signalCode}`;
    try {
      const r = await fetch(`${endpoint}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return 'ready';
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `no answer on ${endpoint}/healthz within ${READY_TIMEOUT_MS / 1000} s (log: ${logFile})`;
}
