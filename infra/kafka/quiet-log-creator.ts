/**
 * kafkajs' log entry and logCreator, structurally (this file must not import kafkajs). Levels are
 * kafkajs' numbers: NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5.
 */
export interface KafkaJsLogEntry {
  readonly namespace: string;
  readonly level: number;
  readonly label: string;
  readonly log: { readonly message: string; readonly timestamp: string; readonly [extra: string]: unknown };
}

const ERROR = 1;
const WARN = 2;
const DEBUG = 5;

/**
 * kafkajs' console logger, minus one quirk: its connection layer logs every error response at
 * ERROR, including the ones callers expect and handle (a heartbeat told the group is rebalancing,
 * a topic that already exists, a coordinator still loading). Those are logged at DEBUG here; a
 * failure that matters still surfaces as the error of the call or of the consumer.
 */
export function quietLogCreator(write: (level: number, line: string) => void = writeToConsole): (configured: number) => (entry: KafkaJsLogEntry) => void {
  return (configured) => (entry) => {
    const handledResponse = entry.namespace === 'Connection' && entry.level === ERROR && entry.log.message.startsWith('Response ');
    const level = handledResponse ? DEBUG : entry.level;
    if (level > configured) return;
    const { message, timestamp, ...extra } = entry.log;
    write(level, JSON.stringify({ level: handledResponse ? 'DEBUG' : entry.label, timestamp, logger: 'kafkajs', message: `[${entry.namespace}] ${message}`, ...extra }));
  };
}

function writeToConsole(level: number, line: string): void {
  if (level <= ERROR) console.error(line);
  else if (level === WARN) console.warn(line);
  else console.log(line);
}
