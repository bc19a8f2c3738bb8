import { randomBytes } from 'node:crypto';

/**
 * A name no other test (or earlier run against the same service) uses: `prefix` plus a random
 * lowercase suffix, valid as a topic, view namespace, alias or object-key segment.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}
