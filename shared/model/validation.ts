import { EVENT_TYPES, PRICED_TYPES, type Event, type EventType } from './event.ts';
import { isIsoWithZone, parseIsoTime } from './iso-time.ts';
import { IDENTIFIER_MAX, identifierProblem } from './identifier.ts';
import type { Rejection, RejectionCode } from './rejection.ts';

/** Limits applied to every raw record, in every layer, so all layers accept the same events. */
export interface ValidationLimits {
  /** Records larger than this (UTF-8 bytes) are rejected before parsing. */
  readonly maxRecordBytes: number;
  /** Event times earlier than this (epoch ms) are absurd. */
  readonly minEventTime: number;
  /** An event may claim to be at most this far ahead of the time its record was appended to the log. */
  readonly maxFutureSkewMs: number;
}

export const DEFAULT_LIMITS: ValidationLimits = {
  maxRecordBytes: 64 * 1024,
  minEventTime: Date.UTC(2000, 0, 1),
  maxFutureSkewMs: 24 * 3600_000,
};

export type ValidationResult =
  | { readonly ok: true; readonly event: Event }
  | { readonly ok: false; readonly rejection: Rejection };

function reject(code: RejectionCode, message: string): ValidationResult {
  return { ok: false, rejection: { code, message } };
}

/** Why an identifier field is invalid, or undefined when it is fine. */
function badIdField(name: string, v: unknown): ValidationResult | undefined {
  if (v === undefined || v === null) return reject('missing_field', `${name} is required`);
  if (typeof v !== 'string') return reject('wrong_type', `${name} must be a non-empty string of at most ${IDENTIFIER_MAX} characters`);
  const problem = identifierProblem(v);
  return problem === undefined ? undefined : reject('wrong_type', `${name} ${problem}`);
}

/**
 * Parses and validates one raw record. `recordTime` is when the record was appended to the log:
 * judging "far future" against it (not the wall clock) keeps the verdict the same in every layer
 * and on every replay.
 */
export function validateRecord(raw: string, recordTime: number, limits: ValidationLimits = DEFAULT_LIMITS): ValidationResult {
  // Characters <= bytes, so only measure bytes when the length alone cannot decide.
  if (raw.length > limits.maxRecordBytes || (raw.length * 3 > limits.maxRecordBytes && Buffer.byteLength(raw, 'utf8') > limits.maxRecordBytes)) {
    return reject('oversized', `record is larger than ${limits.maxRecordBytes} bytes`);
  }
  // Adapters decode bytes with byte-text.ts, so invalid bytes arrive as lone surrogates, which
  // well-formed text never holds: refused whole, before any field could become a key or be stored.
  if (!raw.isWellFormed()) {
    return reject('invalid_utf8', `record is not valid UTF-8 (${invalidUnitAt(raw)}); the producer must send UTF-8 text`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return reject('malformed_json', `not valid JSON: ${(err as Error).message}`);
  }
  return validateEvent(parsed, recordTime, limits);
}

/** Validates an already-parsed value; one clear reason per bad record. */
export function validateEvent(value: unknown, recordTime: number, limits: ValidationLimits = DEFAULT_LIMITS): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', 'record must be a JSON object');
  }
  const o = value as Record<string, unknown>;
  // Field by field, not a loop over names: a loop reads o[name] through a keyed, polymorphic lookup.
  const badId = badIdField('event_id', o.event_id) ?? badIdField('event_type', o.event_type) ?? badIdField('user_id', o.user_id) ?? badIdField('product_id', o.product_id);
  if (badId) return badId;
  const type = o.event_type as string;
  if (!(EVENT_TYPES as readonly string[]).includes(type)) {
    return reject('unknown_event_type', `event_type must be one of ${EVENT_TYPES.join(', ')}; got ${JSON.stringify(type).slice(0, 40)}`);
  }
  const eventType = type as EventType;

  let priceCents = 0;
  let quantity = 0;
  const priced = PRICED_TYPES.has(eventType);
  if (o.price !== undefined && o.price !== null) {
    if (typeof o.price !== 'number' || !Number.isFinite(o.price)) return reject('bad_price', 'price must be a finite number');
    if (o.price < 0) return reject('bad_price', `price must be >= 0; got ${o.price}`);
    const scaled = o.price * 100;
    const cents = Math.round(scaled);
    // Currency amounts: at most two decimals, so every layer sums exact integer cents. A whole-cent
    // price is off by at most ~1 ulp after parsing and scaling; a third decimal is off by >= 0.1 cent.
    // The tolerance must stay below that at every magnitude up to 1e12 cents, hence relative to ulps.
    if (Math.abs(cents - scaled) > 8 * Number.EPSILON * Math.max(1, scaled) || !Number.isSafeInteger(cents) || cents > 1e12) {
      return reject('bad_price', `price must have at most two decimals and be below 1e10; got ${o.price}`);
    }
    priceCents = cents;
  } else if (priced) {
    return reject('missing_field', `price is required for ${eventType}`);
  }
  if (o.quantity !== undefined && o.quantity !== null) {
    if (typeof o.quantity !== 'number' || !Number.isInteger(o.quantity) || o.quantity < 1 || o.quantity > 1_000_000) {
      return reject('bad_quantity', `quantity must be an integer from 1 to 1000000; got ${JSON.stringify(o.quantity).slice(0, 40)}`);
    }
    quantity = o.quantity;
  } else if (priced) {
    return reject('missing_field', `quantity is required for ${eventType}`);
  }

  if (o.event_time === undefined || o.event_time === null) return reject('missing_field', 'event_time is required');
  let eventTime: number;
  if (typeof o.event_time === 'number') {
    if (!Number.isInteger(o.event_time)) return reject('bad_event_time', 'event_time as a number must be integer epoch milliseconds');
    eventTime = o.event_time;
  } else if (typeof o.event_time === 'string') {
    eventTime = parseIsoTime(o.event_time);
    if (Number.isNaN(eventTime)) {
      if (!isIsoWithZone(o.event_time)) {
        return reject('bad_event_time', `event_time must be ISO-8601 with a zone (e.g. 2026-01-01T10:00:00Z) or epoch ms; got ${JSON.stringify(o.event_time).slice(0, 40)}`);
      }
      return reject('bad_event_time', `event_time is not a real date: ${o.event_time}`);
    }
  } else {
    return reject('wrong_type', 'event_time must be an ISO-8601 string or epoch milliseconds');
  }
  if (eventTime < limits.minEventTime) {
    return reject('event_time_out_of_range', `event_time ${eventTime} is before ${new Date(limits.minEventTime).toISOString()}`);
  }
  if (eventTime > recordTime + limits.maxFutureSkewMs) {
    return reject('event_time_out_of_range', `event_time is more than ${limits.maxFutureSkewMs} ms after the record was appended (far future)`);
  }

  let sessionId: string | null = null;
  if (o.session_id !== undefined && o.session_id !== null) {
    // Stored in the master dataset: text without a UTF-8 form would be altered there.
    if (typeof o.session_id !== 'string' || o.session_id.length > IDENTIFIER_MAX || o.session_id.includes('\u0000') || !o.session_id.isWellFormed()) {
      return reject('wrong_type', 'session_id must be well-formed text of at most 256 characters without NUL');
    }
    sessionId = o.session_id;
  }
  return {
    ok: true,
    event: {
      event_id: o.event_id as string,
      event_type: eventType,
      user_id: o.user_id as string,
      product_id: o.product_id as string,
      price_cents: priceCents,
      quantity,
      event_time: eventTime,
      session_id: sessionId,
    },
  };
}

/** Describes the first code unit of text without a UTF-8 form: the invalid byte it stands for, or the lone surrogate. */
function invalidUnitAt(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = raw.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i += 1;
      continue;
    }
    const what = c >= 0xdc80 && c <= 0xdcff ? `byte 0x${(c - 0xdc00).toString(16)}` : `lone surrogate U+${c.toString(16).toUpperCase()}`;
    return `${what} at character ${i}`;
  }
  return 'no UTF-8 form';
}
