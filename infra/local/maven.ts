import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, LkError } from '../../shared/errors.ts';

/** Where jars fetched from Maven Central are cached between runs: $LK_CACHE_DIR, else ~/.cache/lambdakappa. */
export function jarCacheDir(): string {
  return process.env.LK_CACHE_DIR ?? join(homedir(), '.cache', 'lambdakappa');
}

/** What a Maven run fetches, for its error messages. */
export interface MavenPurpose {
  /** What is being fetched, e.g. "Kafka's jars" or "S3Proxy". */
  readonly what: string;
  /** The way around a missing Maven, e.g. "set KAFKA_BROKERS to a running broker". */
  readonly hint: string;
}

/** Throws the ConfigError runMaven would for a missing `mvn`, without fetching anything: to refuse before starting. */
export function requireMaven(purpose: MavenPurpose): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', ['--version'], { stdio: 'ignore' });
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? mavenMissing(purpose) : err));
    child.once('exit', () => resolve());
  });
}

function mavenMissing(purpose: MavenPurpose): ConfigError {
  return new ConfigError(`\`mvn\` was not found; it fetches ${purpose.what} from Maven Central. Install Maven and Java 17+, or ${purpose.hint}`);
}

/** Runs `mvn args` to completion; rejects with the tail of its output (or a ConfigError when mvn is missing) if it fails. */
export function runMaven(args: readonly string[], purpose: MavenPurpose): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? mavenMissing(purpose) : err);
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new LkError(`mvn exited with ${code} while fetching ${purpose.what} (network to Maven Central?):\n${output.trim()}`));
    });
  });
}
