import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LkError } from '../../../shared/errors.ts';
import { javaMissing } from '../java.ts';

/** How a broker from the Maven Central jars is run: what kafka-storage.sh and kafka-server-start.sh run, with a test-sized JVM. */

const LOG4J = fileURLToPath(new URL('./log4j.properties', import.meta.url));
/**
 * A test broker is fine with a small heap (the scripts default to 1 GiB). The serial collector
 * suits a 2-core machine: no GC threads competing with the tests.
 */
const BROKER_JVM = ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
const TOOL_JVM = ['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/** The arguments of `java` that run the broker (kafka.Kafka, what kafka-server-start.sh runs) on `properties`, logging under workDir/logs. */
export function brokerArgs(jarsDir: string, properties: string, workDir: string): string[] {
  return [...BROKER_JVM, '-cp', join(jarsDir, '*'), `-Dlog4j.configuration=file:${LOG4J}`, `-Dkafka.logs.dir=${join(workDir, 'logs')}`, 'kafka.Kafka', properties];
}

/** Formats the log directory `properties` names for a new cluster (kafka.tools.StorageTool, what kafka-storage.sh runs). */
export function formatLogDirectory(java: string, jarsDir: string, properties: string): Promise<void> {
  const args = [...TOOL_JVM, '-cp', join(jarsDir, '*'), `-Dlog4j.configuration=file:${LOG4J}`, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', properties];
  return new Promise((resolve, reject) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? javaMissing(java, 'the local Kafka broker', 'set KAFKA_BROKERS to a running broker') : err),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new LkError(`formatting the local Kafka log directory failed (exit ${code}):\n${output.trim()}`));
    });
  });
}

/** A Kafka cluster id: a random UUID as Kafka writes it (16 bytes, base64url, no padding). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka's own Uuid.randomUuid avoids a leading '-', which command lines take for an option.
    if (!id.startsWith('-')) return id;
  }
}
