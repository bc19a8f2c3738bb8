import type { PlatformConfig } from '../shared/config.ts';
import type { EventLog } from '../shared/ports/event-log.ts';

/**
 * Creates the raw-events topic if it does not exist. An existing topic keeps its partitions, so
 * when they differ from LK_PARTITIONS the user is told instead of left to think the setting applied.
 */
export async function ensureEventsTopic(log: EventLog, config: PlatformConfig, warn: (line: string) => void): Promise<number> {
  const actual = await log.ensureTopic(config.topics.events, config.partitions);
  if (actual !== config.partitions) {
    warn(
      `warning: topic "${config.topics.events}" already exists with ${actual} partitions, not the ${config.partitions} LK_PARTITIONS asks for; ` +
        `it keeps its ${actual} (an existing topic's partitions are not changed: recreate the topic, or set LK_PARTITIONS=${actual})`,
    );
  }
  return actual;
}
