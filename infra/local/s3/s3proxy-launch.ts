import { DEFAULT_S3_ACCESS_KEY_ID, DEFAULT_S3_SECRET_ACCESS_KEY } from '../../../shared/config.ts';
import { javaCommand } from '../java.ts';

/** How S3Proxy is run from its jar: loopback, the filesystem backend, AWS v4 auth with the keys `LK_SERVICES=real` uses. */

/** The credentials of the local server: the defaults `LK_SERVICES=real` uses, so lk works against it as is. */
export const S3PROXY_ACCESS_KEY_ID = DEFAULT_S3_ACCESS_KEY_ID;
export const S3PROXY_SECRET_ACCESS_KEY = DEFAULT_S3_SECRET_ACCESS_KEY;
export const S3PROXY_REGION = 'us-east-1';

/** A test server needs little heap; the serial collector and C1 only start faster and leave the 2 cores to the tests. */
const JVM_OPTIONS = ['-Xms32m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/** The command that runs S3Proxy from `jar` on `properties` (see s3ProxyProperties). */
export function s3ProxyCommand(jar: string, properties: string): { readonly command: string; readonly args: string[]; readonly env: NodeJS.ProcessEnv } {
  return {
    command: javaCommand(),
    args: [...JVM_OPTIONS, '-jar', jar, '--properties', properties],
    // S3Proxy logs through logback; LOG_LEVEL is the knob its Docker image exposes too.
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  };
}

/** s3proxy.properties for a server at `endpoint` keeping its objects in `dataDir`. */
export function s3ProxyProperties(o: { readonly endpoint: string; readonly dataDir: string }): string {
  // Java properties read '\' as an escape.
  const esc = (v: string) => v.replaceAll('\\', '\\\\');
  return [
    `s3proxy.endpoint=${o.endpoint}`,
    's3proxy.authorization=aws-v2-or-v4',
    `s3proxy.identity=${S3PROXY_ACCESS_KEY_ID}`,
    `s3proxy.credential=${S3PROXY_SECRET_ACCESS_KEY}`,
    // The size a single PUT may have, as in the andrewgaul/s3proxy image; larger files go multipart.
    's3proxy.v4-max-non-chunked-request-size=134217728',
    // filesystem-nio2 is what plain "filesystem" means since S3Proxy 4 and what the Docker image uses.
    'jclouds.provider=filesystem-nio2',
    `jclouds.filesystem.basedir=${esc(o.dataDir)}`,
    '',
  ].join('\n');
}

/** True when S3Proxy at `endpoint` answers its health check (/healthz, unauthenticated) within 2 s. */
export async function s3ProxyHealthy(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(`${endpoint}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return r.ok;
  } catch {
    return false;
  }
}
