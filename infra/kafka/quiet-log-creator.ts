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
 * kafkajs' console logger, minus two quirks: its connection layer logs every error response at
 * ERROR, including the ones callers expect and handle (a heartbeat told the group is rebalancing,
 * a topic that already exists, a coordinator still loading); those are logged at DEBUG here. And
 * a broker it cannot reach yet is logged at ERROR, with a stack, on every retry; those are
 * warnings here, without the stack, since kafkajs retries them (the adapter logs at ERROR by
 * default, so a job started before its broker prints only the final error). A failure that
 * matters still surfaces as the error of the call or of the consumer (ServiceUnavailableError,
 * saying what to set).
 */
export function quietLogCreator(write: (level: number, line: string) => void = writeToConsole): (configured: number) => (entry: KafkaJsLogEntry) => void {
  return (configured) => (entry) => {
    const level = entry.level === ERROR ? levelOfError(entry) : entry.level;
    if (level > configured) return;
    const { message, timestamp, ...extra }: Record<string, unknown> = entry.log;
    if (level !== entry.level) delete extra.stack;
    write(level, JSON.stringify({ level: LABELS[level] ?? entry.label, timestamp, logger: 'kafkajs', message: `[${entry.namespace}] ${message}`, ...extra }));
  };
}

const LABELS: Readonly<Record<number, string>> = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' };

/** The level an ERROR entry is logged at: lower for what kafkajs handles or retries itself. */
function levelOfError(entry: KafkaJsLogEntry): number {
  const m = entry.log.message;
  if (entry.namespace === 'Connection' && m.startsWith('Response ')) return DEBUG;
  if (entry.namespace === 'Connection' && (m.startsWith('Connection error') || m.startsWith('Connection timeout'))) return WARN;
  if (entry.namespace === 'BrokerPool' && m.startsWith('Failed to connect to seed broker')) return WARN;
  return ERROR;
}

function writeToConsole(level: number, line: string): void {
  if (level <= ERROR) console.error(line);
  else if (level === WARN) console.warn(line);
  else console.log(line);
}
