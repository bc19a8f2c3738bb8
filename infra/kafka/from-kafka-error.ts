import { BadRequestError, ConfigError, LkError, NotFoundError, ServiceUnavailableError } from '../../shared/errors.ts';

/**
 * What a kafkajs error looks like, structurally: this file must not import kafkajs (only
 * kafka-log.ts does), and matching on `name`/`type` is what kafkajs' own code does too.
 */
interface KafkaJsErrorShape {
  readonly name?: string;
  readonly message?: string;
  /** The broker's error code name on protocol errors, e.g. UNKNOWN_TOPIC_OR_PARTITION. */
  readonly type?: string;
  /** The broker's error code on protocol errors. */
  readonly code?: number;
  readonly retriable?: boolean;
  readonly cause?: unknown;
  /** KafkaJSAggregateError (createTopics) carries one error per topic. */
  readonly errors?: readonly unknown[];
}

/** Names of kafkajs errors that mean the client could not talk to a broker at all. */
const UNREACHABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSRequestTimeoutError',
]);

/** Protocol error types that end the current group generation: the member must rejoin, not fail. */
const REBALANCE = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/** The context a message needs to say what to do. */
export interface KafkaErrorContext {
  readonly brokers: readonly string[];
  /** What was being done, e.g. `append to "events"`. */
  readonly action: string;
  readonly topic?: string;
}

/** The error and its causes (and aggregated errors), outermost first. */
function chain(err: unknown): KafkaJsErrorShape[] {
  const out: KafkaJsErrorShape[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null) continue;
    const shape = e as KafkaJsErrorShape;
    out.push(shape);
    if (shape.cause !== undefined) queue.push(shape.cause);
    if (Array.isArray(shape.errors)) queue.push(...shape.errors);
  }
  return out;
}

/**
 * Broker answers to a transactional producer that a newer one with its transactional id fenced:
 * INVALID_PRODUCER_EPOCH, or PRODUCER_FENCED (code 90, which kafkajs 2.2 does not know by name).
 */
const PRODUCER_FENCED_CODE = 90;

/** Whether `err` says a newer producer with the same transactional id fenced this one. */
export function isProducerFenced(err: unknown): boolean {
  return chain(err).some((e) => e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED' || e.code === PRODUCER_FENCED_CODE);
}

/** Whether `err` says the group is rebalancing (or forgot this member): kafkajs rejoins on it. */
export function isRebalance(err: unknown): boolean {
  return chain(err).some((e) => e.type !== undefined && REBALANCE.has(e.type));
}

/**
 * Maps a kafkajs error to the platform's errors (shared/errors.ts) with a message that says what
 * to do. LkErrors pass through unchanged, so adapters can wrap whole operations.
 */
export function fromKafkaError(err: unknown, ctx: KafkaErrorContext): LkError {
  if (err instanceof LkError) return err;
  const errors = chain(err);
  const detail = errors.map((e) => e.message).find((m) => m !== undefined && m !== '') ?? String(err);
  const types = new Set(errors.map((e) => e.type).filter((t): t is string => t !== undefined));
  const where = ctx.brokers.join(',');

  if (errors.some((e) => e.name !== undefined && UNREACHABLE.has(e.name))) {
    return new ServiceUnavailableError(
      'kafka',
      `cannot reach Kafka at ${where} to ${ctx.action} (${detail}); is the broker running? set KAFKA_BROKERS or run with the embedded log (LK_LOG=embedded)`,
      err,
    );
  }
  if (types.has('UNKNOWN_TOPIC_OR_PARTITION')) {
    const topic = ctx.topic === undefined ? 'the topic' : `topic "${ctx.topic}"`;
    return new NotFoundError(`${topic} does not exist on Kafka at ${where}: create it first (ensureTopic, or lk ingest creates the events topic)`, {
      cause: err,
    });
  }
  if (types.has('INVALID_TOPIC_EXCEPTION')) {
    return new BadRequestError('topic', `"${ctx.topic ?? '?'}" is not a valid Kafka topic name: use 1-249 letters, digits, '.', '_' or '-'`);
  }
  if (types.has('INVALID_PARTITIONS')) {
    return new BadRequestError('partitions', `Kafka rejected the partition count to ${ctx.action}: ${detail}`);
  }
  if (types.has('MESSAGE_TOO_LARGE') || types.has('RECORD_LIST_TOO_LARGE')) {
    return new LkError(`Kafka rejected a record as too large to ${ctx.action}: keep records under the broker's message.max.bytes (1 MiB by default) or raise it`, {
      cause: err,
    });
  }
  if ([...types].some((t) => t.endsWith('AUTHORIZATION_FAILED')) || [...types].some((t) => t.startsWith('SASL_'))) {
    return new ConfigError(`Kafka at ${where} refused to ${ctx.action} (${detail}): check the client's credentials and ACLs`, { cause: err });
  }
  const retriable = errors.some((e) => e.retriable === true) || errors.some((e) => e.name === 'KafkaJSNumberOfRetriesExceeded');
  if (retriable) {
    return new ServiceUnavailableError('kafka', `Kafka at ${where} failed to ${ctx.action} (${detail}); it may be starting or overloaded: try again`, err);
  }
  return new LkError(`Kafka at ${where} failed to ${ctx.action}: ${detail}`, { cause: err });
}
