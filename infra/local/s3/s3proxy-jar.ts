import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LkError } from '../../../shared/errors.ts';
import { runMaven } from '../maven.ts';

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));

/**
 * The S3Proxy jar, fetched from Maven Central by `mvn dependency:copy-dependencies` on the pom.xml
 * beside this file and cached in `<cacheDir>/s3proxy/<hash of the pom>/`: a warm start costs no
 * Maven run, and editing the pom (a new version) fetches again. The download goes to a temporary
 * directory renamed into place, so concurrent first runs never see half a jar.
 */
export async function resolveS3ProxyJar(cacheDir: string, log: (m: string) => void = () => undefined): Promise<string> {
  const dir = await cachedDir(cacheDir);
  const cached = await jarIn(dir);
  if (cached) return cached;

  const tmp = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  log(`s3proxy: fetching the S3Proxy jar from Maven Central into ${dir} (once; later runs reuse it)`);
  try {
    await runMaven(['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], {
      what: 'S3Proxy',
      hint: 'point S3_ENDPOINT at an S3 server',
    });
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

/** True when resolveS3ProxyJar would run no Maven (the jar of the current pom is cached). */
export async function s3ProxyJarCached(cacheDir: string): Promise<boolean> {
  return (await jarIn(await cachedDir(cacheDir))) !== undefined;
}

async function cachedDir(cacheDir: string): Promise<string> {
  return join(cacheDir, 's3proxy', createHash('sha256').update(await readFile(POM)).digest('hex').slice(0, 16));
}

async function jarIn(dir: string): Promise<string | undefined> {
  try {
    const name = (await readdir(dir)).find((f) => f.endsWith('.jar'));
    return name ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}
