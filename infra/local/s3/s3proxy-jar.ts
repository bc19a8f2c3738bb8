import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, LkError } from '../../../shared/errors.ts';

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));

/**
 * The S3Proxy jar, fetched from Maven Central by `mvn dependency:copy-dependencies` on the pom.xml
 * beside this file and cached in `<cacheDir>/s3proxy/<hash of the pom>/`: a warm start costs no
 * Maven run, and editing the pom (a new version) fetches again. The download goes to a temporary
 * directory renamed into place, so concurrent first runs never see half a jar.
 */
export async function resolveS3ProxyJar(cacheDir: string, log: (m: string) => void = () => undefined): Promise<string> {
  const pom = await readFile(POM);
  const dir = join(cacheDir, 's3proxy', createHash('sha256').update(pom).digest('hex').slice(0, 16));
  const cached = await jarIn(dir);
  if (cached) return cached;

  const tmp = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  log(`s3proxy: fetching the S3Proxy jar from Maven Central into ${dir} (once; later runs reuse it)`);
  try {
    await runMaven(['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`]);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process finished first; its copy is as good as ours.
      if (!(await jarIn(dir))) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const jar = await jarIn(dir);
  if (!jar) throw new LkError(`Maven ran but left no jar in ${dir}; check ${POM}`);
  return jar;
}

async function jarIn(dir: string): Promise<string | undefined> {
  try {
    const name = (await readdir(dir)).find((f) => f.endsWith('.jar'));
    return name ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

function runMaven(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new ConfigError('`mvn` was not found: S3Proxy for local tests comes from Maven Central. Install Maven and Java 17+, or point S3_ENDPOINT at an S3 server')
          : err,
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new LkError(`mvn exited with ${code} while fetching S3Proxy (network to Maven Central?):\n${output.trim()}`));
    });
  });
}
