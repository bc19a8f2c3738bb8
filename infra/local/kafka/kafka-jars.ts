import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LkError } from '../../../shared/errors.ts';
import { runMaven } from '../maven.ts';

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));
/** Written last into a complete download: a directory without it is not trusted. */
const COMPLETE = '.complete';

/**
 * The directory of the Kafka broker's jars (kafka_2.13, its runtime dependencies and the log4j
 * binding), fetched from Maven Central by `mvn dependency:copy-dependencies` on the pom.xml beside
 * this file and cached in `<cacheDir>/kafka/<hash of the pom>/`: a warm start runs no Maven, and
 * editing the pom (a new version) fetches again. Maven writes into a temporary directory renamed
 * into place, so concurrent first runs never see half a classpath.
 */
export async function resolveKafkaJars(cacheDir: string, log: (m: string) => void = () => undefined): Promise<string> {
  const dir = await cachedDir(cacheDir);
  if (await isComplete(dir)) return dir;

  const tmp = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  log(`kafka: fetching the broker's jars from Maven Central into ${dir} (once; later runs reuse them)`);
  try {
    await runMaven(['-q', '-B', '--no-transfer-progress', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], {
      what: "Kafka's jars",
      hint: 'set KAFKA_BROKERS to a running broker',
    });
    const jars = (await readdir(tmp)).filter((f) => f.endsWith('.jar'));
    if (!jars.some((f) => /^kafka_2\.13-.*\.jar$/.test(f))) throw new LkError(`Maven ran but left no kafka_2.13 jar in ${tmp}; check ${POM}`);
    await writeFile(join(tmp, COMPLETE), `${jars.length} jars\n`);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process finished first; its copy is as good as ours.
      if (!(await isComplete(dir))) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** True when resolveKafkaJars would run no Maven (the jars of the current pom are cached). */
export async function kafkaJarsCached(cacheDir: string): Promise<boolean> {
  return isComplete(await cachedDir(cacheDir));
}

async function cachedDir(cacheDir: string): Promise<string> {
  return join(cacheDir, 'kafka', createHash('sha256').update(await readFile(POM)).digest('hex').slice(0, 16));
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).includes(COMPLETE);
  } catch {
    return false;
  }
}
