import { describe, expect, it } from 'vitest';
import type { RejectionCode } from '../../../shared/model/rejection.ts';
import { DEFAULT_LIMITS, type ValidationResult } from '../../../shared/model/validation.ts';
import { validateEvent, validateRecord } from '../../support/ecommerce.ts';
import { decodeByteText } from '../../../shared/model/byte-text.ts';
import { Random } from '../../../workload/random.ts';
import { encodeEvent, isoWithOffset, randomEvent } from '../../support/random-events.ts';

const T = Date.UTC(2026, 0, 1, 10); // 2026-01-01T10:00:00Z, also the records' append time
const purchase = { event_id: 'e1', event_type: 'purchase', user_id: 'u1', product_id: 'p1', price: 19.99, quantity: 2, event_time: '2026-01-01T10:00:00Z' };
const pageView = { event_id: 'e2', event_type: 'page_view', user_id: 'u1', product_id: 'p1', event_time: T };

function rejection(r: ValidationResult): { code: RejectionCode; message: string } {
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return r.rejection;
}

function accepted(r: ValidationResult) {
  if (!r.ok) throw new Error(`expected acceptance, got ${r.rejection.code}: ${r.rejection.message}`);
  return r.event;
}

/** A valid record padded (with a field validation ignores) to exactly `bytes` UTF-8 bytes with `char`. */
function recordOfBytes(bytes: number, char: string): string {
  const head = JSON.stringify({ ...purchase, note: '' });
  const room = bytes - Buffer.byteLength(head, 'utf8');
  const per = Buffer.byteLength(char, 'utf8');
  const pad = char.repeat(Math.floor(room / per)) + 'x'.repeat(room % per);
  const raw = head.replace('"note":""', `"note":"${pad}"`);
  expect(Buffer.byteLength(raw, 'utf8')).toBe(bytes);
  return raw;
}

describe('validateRecord: accepted shapes', () => {
  it('accepts a purchase and normalises price to integer cents', () => {
    expect(accepted(validateRecord(JSON.stringify(purchase), T))).toEqual({
      event_id: 'e1',
      event_type: 'purchase',
      user_id: 'u1',
      product_id: 'p1',
      price: 1_999,
      quantity: 2,
      event_time: T,
      session_id: null,
    });
  });

  it('reads ISO with Z, ISO with +02:00 and epoch ms as the same instant', () => {
    for (const event_time of ['2026-01-01T10:00:00Z', '2026-01-01T12:00:00+02:00', '2026-01-01T05:30:00-04:30', '2026-01-01T10:00:00.000Z', T]) {
      expect(accepted(validateEvent({ ...purchase, event_time }, T)).event_time).toBe(T);
    }
  });

  it('keeps milliseconds of ISO times', () => {
    expect(accepted(validateEvent({ ...purchase, event_time: '2026-01-01T10:00:00.123Z' }, T)).event_time).toBe(T + 123);
  });

  it('accepts a page_view without price or quantity, as null price and quantity', () => {
    expect(accepted(validateEvent(pageView, T))).toMatchObject({ event_type: 'page_view', price: null, quantity: null });
  });

  it('accepts a page_view that carries a price but no quantity', () => {
    expect(accepted(validateEvent({ ...pageView, price: 5 }, T))).toMatchObject({ price: 500, quantity: null });
  });

  it('keeps a session_id and treats null optional fields as absent', () => {
    expect(accepted(validateEvent({ ...pageView, session_id: 's9' }, T)).session_id).toBe('s9');
    expect(accepted(validateEvent({ ...pageView, price: null, quantity: null, session_id: null }, T))).toMatchObject({ price: null, quantity: null, session_id: null });
  });

  it('round-trips every generated event through its wire JSON', () => {
    const rng = new Random(7);
    for (let i = 0; i < 2_000; i++) {
      const e = randomEvent(rng, `e${i}`, T + rng.int(-3 * 86_400_000, 3_600_000));
      expect(accepted(validateRecord(encodeEvent(e, rng), T))).toEqual(e);
    }
  });

  it('formats offsets that name the same instant', () => {
    expect(Date.parse(isoWithOffset(T, 120))).toBe(T);
    expect(Date.parse(isoWithOffset(T, -570))).toBe(T);
  });
});

describe('validateRecord: one clear reason per rejection', () => {
  const cases: [string, unknown, RejectionCode, RegExp][] = [
    ['an array', [purchase], 'not_an_object', /object/],
    ['null', null, 'not_an_object', /object/],
    ['a string', 'purchase', 'not_an_object', /object/],
    ['no event_id', { ...purchase, event_id: undefined }, 'missing_field', /event_id/],
    ['no event_type', { ...purchase, event_type: null }, 'missing_field', /event_type/],
    ['no user_id', { ...purchase, user_id: undefined }, 'missing_field', /user_id/],
    ['no product_id', { ...purchase, product_id: undefined }, 'missing_field', /product_id/],
    ['a purchase without price', { ...purchase, price: undefined }, 'missing_field', /price is required for purchase/],
    ['an add_to_cart without price', { ...purchase, event_type: 'add_to_cart', price: undefined }, 'missing_field', /price is required for add_to_cart/],
    ['a purchase without quantity', { ...purchase, quantity: undefined }, 'missing_field', /quantity is required for purchase/],
    ['an add_to_cart without quantity', { ...purchase, event_type: 'add_to_cart', quantity: null }, 'missing_field', /quantity is required for add_to_cart/],
    ['no event_time', { ...purchase, event_time: undefined }, 'missing_field', /event_time/],
    ['a numeric user_id', { ...purchase, user_id: 42 }, 'wrong_type', /user_id/],
    ['an empty event_id', { ...purchase, event_id: '' }, 'wrong_type', /event_id/],
    ['a 257-character product_id', { ...purchase, product_id: 'p'.repeat(257) }, 'wrong_type', /product_id/],
    ['a boolean event_time', { ...purchase, event_time: true }, 'wrong_type', /event_time/],
    ['a numeric session_id', { ...purchase, session_id: 7 }, 'wrong_type', /session_id/],
    ['an unknown event type', { ...purchase, event_type: 'refund' }, 'unknown_event_type', /refund/],
    ['a price string', { ...purchase, price: '19.99' }, 'bad_price', /number/],
    ['a negative price', { ...purchase, price: -1 }, 'bad_price', />= 0/],
    ['a price with three decimals', { ...purchase, price: 19.999 }, 'bad_price', /two decimals/],
    ['a price of 1.005', { ...purchase, price: 1.005 }, 'bad_price', /two decimals/],
    ['a large price with three decimals', { ...purchase, price: 1_000_000.001 }, 'bad_price', /two decimals/],
    ['a price of 500000.005', { ...purchase, price: 500_000.005 }, 'bad_price', /two decimals/],
    ['a price above 1e10', { ...purchase, price: 1e10 + 1 }, 'bad_price', /1e10/],
    ['quantity 0', { ...purchase, quantity: 0 }, 'bad_quantity', /quantity/],
    ['a fractional quantity', { ...purchase, quantity: 1.5 }, 'bad_quantity', /integer/],
    ['a quantity string', { ...purchase, quantity: '2' }, 'bad_quantity', /integer/],
    ['a quantity above a million', { ...purchase, quantity: 1_000_001 }, 'bad_quantity', /1000000/],
    ['an ISO time without zone', { ...purchase, event_time: '2026-01-01T10:00:00' }, 'bad_event_time', /zone/],
    ['a date without time', { ...purchase, event_time: '2026-01-01' }, 'bad_event_time', /ISO-8601/],
    ['a fractional epoch', { ...purchase, event_time: T + 0.5 }, 'bad_event_time', /integer epoch milliseconds/],
    ['month 13', { ...purchase, event_time: '2026-13-01T00:00:00Z' }, 'bad_event_time', /real date/],
    ['February 30', { ...purchase, event_time: '2026-02-30T00:00:00Z' }, 'bad_event_time', /real date/],
    ['February 29 of a common year', { ...purchase, event_time: '2025-02-29T00:00:00Z' }, 'bad_event_time', /real date/],
    ['April 31', { ...purchase, event_time: '2025-04-31T00:00:00Z' }, 'bad_event_time', /real date/],
    ['a time in 1999', { ...purchase, event_time: '1999-12-31T23:59:59.999Z' }, 'event_time_out_of_range', /before 2000/],
    ['epoch seconds instead of ms', { ...purchase, event_time: Math.floor(T / 1000) }, 'event_time_out_of_range', /before/],
    ['a time far ahead of the record', { ...purchase, event_time: T + DEFAULT_LIMITS.maxFutureSkewMs + 1 }, 'event_time_out_of_range', /far future/],
  ];

  it.each(cases)('rejects %s', (_name, value, code, message) => {
    const r = rejection(validateEvent(value, T));
    expect(r.code).toBe(code);
    expect(r.message).toMatch(message);
  });

  it('rejects text that is not JSON as malformed_json', () => {
    expect(rejection(validateRecord('{"event_id": "e1",', T)).code).toBe('malformed_json');
    expect(rejection(validateRecord('', T)).code).toBe('malformed_json');
  });

  it('judges each day on its own, whatever day came before (the check remembers the last real day)', () => {
    const at = (iso: string) => validateEvent({ ...purchase, event_time: iso }, Date.UTC(2026, 2, 5));
    expect(at('2026-02-28T23:59:59Z').ok).toBe(true);
    expect(rejection(at('2026-02-30T00:00:00Z')).code).toBe('bad_event_time');
    expect(at('2026-02-28T00:00:00+05:00').ok).toBe(true);
    expect(rejection(at('2026-02-29T00:00:00Z')).code).toBe('bad_event_time');
    expect(at('2026-03-01T00:00:00Z').ok).toBe(true);
    expect(rejection(at('2026-02-31T00:00:00Z')).code).toBe('bad_event_time');
  });

  it('accepts February 29 of a leap year', () => {
    expect(accepted(validateEvent({ ...purchase, event_time: '2028-02-29T00:00:00Z' }, Date.UTC(2028, 1, 29))).event_time).toBe(Date.UTC(2028, 1, 29));
  });

  it('accepts the first millisecond of 2000 and an event exactly the allowed skew ahead of its record', () => {
    expect(accepted(validateEvent({ ...purchase, event_time: Date.UTC(2000, 0, 1) }, T)).event_time).toBe(Date.UTC(2000, 0, 1));
    expect(accepted(validateEvent({ ...purchase, event_time: T + DEFAULT_LIMITS.maxFutureSkewMs }, T)).event_time).toBe(T + DEFAULT_LIMITS.maxFutureSkewMs);
  });

  it('judges "far future" against the record time, not the wall clock', () => {
    const future = { ...purchase, event_time: Date.UTC(2040, 0, 1) };
    expect(rejection(validateEvent(future, T)).code).toBe('event_time_out_of_range');
    expect(accepted(validateEvent(future, Date.UTC(2040, 0, 1))).event_time).toBe(Date.UTC(2040, 0, 1));
  });
});

describe('validateRecord: prices are exact cents', () => {
  it('accepts every whole-cent price up to 1e10 as exactly its cents', () => {
    const rng = new Random(11);
    for (let i = 0; i < 20_000; i++) {
      // Spread over magnitudes: small prices and prices near the limit both matter.
      const cents = Math.min(1e12, Math.floor(10 ** (rng.next() * 12)));
      expect(accepted(validateEvent({ ...purchase, price: cents / 100 }, T)).price).toBe(cents);
    }
  });

  it('rejects every price with a third decimal, at any magnitude', () => {
    const rng = new Random(12);
    for (let i = 0; i < 20_000; i++) {
      const cents = Math.floor(10 ** (rng.next() * 11));
      const price = (cents * 10 + rng.int(1, 9)) / 1000;
      expect(rejection(validateEvent({ ...purchase, price }, T)).code, `price ${price}`).toBe('bad_price');
    }
  });
});

describe('validateRecord: size limit', () => {
  const limits = { ...DEFAULT_LIMITS, maxRecordBytes: 1_000 };

  it('rejects a record over the limit before parsing it', () => {
    const r = rejection(validateRecord('x'.repeat(1_001), T, limits));
    expect(r.code).toBe('oversized');
    expect(r.message).toMatch(/1000 bytes/);
  });

  it.each([
    ['ASCII', 'a'],
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte (surrogate pair)', '😀'],
  ])('measures %s characters in UTF-8 bytes: exactly the limit passes, one byte more does not', (_name, char) => {
    expect(accepted(validateRecord(recordOfBytes(1_000, char), T, limits)).event_id).toBe('e1');
    expect(rejection(validateRecord(recordOfBytes(1_001, char), T, limits)).code).toBe('oversized');
  });

  it('applies the default 64 KiB limit to multi-byte records', () => {
    expect(accepted(validateRecord(recordOfBytes(64 * 1024, '€'), T)).event_id).toBe('e1');
    expect(rejection(validateRecord(recordOfBytes(64 * 1024 + 1, '€'), T)).code).toBe('oversized');
  });
});

describe('identifiers with NUL', () => {
  it('rejects a NUL character in an id field (PostgreSQL text cannot store it)', () => {
    const r = validateRecord(JSON.stringify({ event_id: 'e1', event_type: 'page_view', user_id: 'u\u00001', product_id: 'p1', event_time: '2026-01-01T00:00:00Z' }), Date.UTC(2026, 0, 1));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.rejection.code).toBe('wrong_type');
  });
});

describe('text that is not valid Unicode', () => {
  const line = (fields: Record<string, unknown>) => JSON.stringify({ ...purchase, ...fields });

  it('rejects a record with an invalid UTF-8 byte as invalid_utf8, naming the byte', () => {
    const bytes = Buffer.from(line({ product_id: 'p-X' }), 'utf8');
    bytes[bytes.indexOf('p-X') + 2] = 0xff;
    const r = rejection(validateRecord(decodeByteText(bytes), T));
    expect(r.code).toBe('invalid_utf8');
    expect(r.message).toMatch(/byte 0xff/);
  });

  it('rejects a literal lone surrogate in the record text as invalid_utf8', () => {
    expect(rejection(validateRecord(line({ user_id: 'u-\ud800' }).replace('\\ud800', '\ud800'), T)).code).toBe('invalid_utf8');
  });

  // Every string that becomes a key, a dedup id or a stored value: a lone surrogate (a JSON
  // escape, so the record text itself is well-formed) would be stored as U+FFFD and merge two keys.
  it.each(['event_id', 'user_id', 'product_id', 'event_type', 'session_id'])('rejects a lone surrogate in %s', (field) => {
    for (const s of ['\ud800', '\udc00', '\udcff']) {
      const r = rejection(validateRecord(line({ [field]: `x-${s}` }), T));
      expect(r.code).toBe('wrong_type');
      expect(r.message).toMatch(new RegExp(field));
    }
  });

  it('accepts well-formed non-ASCII text, astral characters included', () => {
    expect(accepted(validateRecord(line({ product_id: 'p-😀-é', session_id: 's-😀' }), T))).toMatchObject({ product_id: 'p-😀-é', session_id: 's-😀' });
  });
});
