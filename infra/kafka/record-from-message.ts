import { decodeByteText } from '../../shared/model/byte-text.ts';
import type { LogRecord } from '../../shared/ports/event-log.ts';

/** A fetched kafkajs message, structurally (this file must not import kafkajs). */
export interface FetchedMessage {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: { readonly [name: string]: Buffer | string | readonly (Buffer | string)[] | undefined };
}

/**
 * Converts a fetched message to the port's record. Kafka allows a header name more than once
 * (kafkajs then gives an array); the port has one value per name, so the last one wins, as the
 * Java client's `Headers.lastHeader`. A null value (a tombstone) reads as ''. Bytes decode losslessly
 * (byte-text.ts): invalid UTF-8 stays detectable, so validation dead-letters it instead of accepting U+FFFD.
 */
export function recordFromMessage(topic: string, partition: number, m: FetchedMessage): LogRecord {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(m.headers ?? {})) {
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (v !== undefined) headers[name] = typeof v === 'string' ? v : decodeByteText(v);
  }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key === null ? null : decodeByteText(m.key),
    value: m.value === null ? '' : decodeByteText(m.value),
    headers,
  };
}
