import { join } from 'node:path';
import { ConfigError } from '../../shared/errors.ts';

/** `java` of JAVA_HOME when set (what Kafka's scripts use), else from PATH. */
export function javaCommand(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, 'bin', 'java') : 'java';
}

/** The error for a `java` that could not be run: what needs it, and the way around it (e.g. "set KAFKA_BROKERS to a running broker"). */
export function javaMissing(java: string, what: string, hint: string): ConfigError {
  return new ConfigError(`\`${java}\` was not found: ${what} needs Java 17+. Install it (or set JAVA_HOME), or ${hint}`);
}
