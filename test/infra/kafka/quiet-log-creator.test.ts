import { describe, expect, it } from 'vitest';
import { quietLogCreator, type KafkaJsLogEntry } from '../../../infra/kafka/quiet-log-creator.ts';

const INFO = 4;
const entry = (namespace: string, level: number, label: string, message: string, extra: Record<string, unknown> = {}): KafkaJsLogEntry => ({
  namespace,
  level,
  label,
  log: { message, timestamp: '2026-11-21T10:00:00.000Z', ...extra },
});

/** What the logger writes at kafkajs' default level (INFO), as [level, parsed line]. */
function written(e: KafkaJsLogEntry): [number, Record<string, unknown>][] {
  const out: [number, Record<string, unknown>][] = [];
  quietLogCreator((level, line) => out.push([level, JSON.parse(line)]))(INFO)(e);
  return out;
}

describe('quietLogCreator', () => {
  it('logs error responses kafkajs handles itself at DEBUG, so not at the default level', () => {
    expect(written(entry('Connection', 1, 'ERROR', 'Response Heartbeat(key: 12, version: 3)', { error: 'The group is rebalancing' }))).toEqual([]);
  });

  it('logs an unreachable broker, which kafkajs retries, as a warning without the stack', () => {
    const stack = 'Error: connect ECONNREFUSED 127.0.0.1:9092\n    at TCPConnectWrap.afterConnect';
    for (const e of [
      entry('Connection', 1, 'ERROR', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', stack }),
      entry('Connection', 1, 'ERROR', 'Connection timeout', { broker: '127.0.0.1:9092', stack }),
      entry('BrokerPool', 1, 'ERROR', 'Failed to connect to seed broker, trying another broker from the list: Connection error', { retryCount: 4 }),
    ]) {
      const [[level, line]] = written(e);
      expect(level).toBe(2);
      expect(line).toMatchObject({ level: 'WARN', logger: 'kafkajs', message: `[${e.namespace}] ${e.log.message}` });
      expect(line).not.toHaveProperty('stack');
    }
  });

  it('keeps every other error as it is, stack included', () => {
    const [[level, line]] = written(entry('Consumer', 1, 'ERROR', 'Crash: KafkaJSNumberOfRetriesExceeded', { groupId: 'g', stack: 'Error: ...' }));
    expect(level).toBe(1);
    expect(line).toEqual({ level: 'ERROR', timestamp: '2026-11-21T10:00:00.000Z', logger: 'kafkajs', message: '[Consumer] Crash: KafkaJSNumberOfRetriesExceeded', groupId: 'g', stack: 'Error: ...' });
  });
});
