import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.ts';
import { checkSchema, type EventSchema } from '../../../shared/model/event-schema.ts';
import { field } from '../../../shared/model/field.ts';
import { compileValidator, type ValidationResult } from '../../../shared/model/validation.ts';

const T = Date.UTC(2026, 0, 1, 10);
const schema: EventSchema = {
  fields: {
    tx: field.string({ minLength: 1, maxLength: 8 }),
    card: field.string({ minLength: 1 }),
    at: field.timestamp(),
    amount: field.decimal(3, { min: 0, max: 1_000 }),
    approved: field.boolean(),
    attempts: field.integer({ min: 1, max: 9, presence: 'optional' }),
    reason: field.string({ presence: { requiredWhen: { field: 'approved', in: [false] } } }),
    paid_at: field.timestamp({ presence: 'optional' }),
  },
  id: 'tx',
  time: 'at',
  logKey: 'card',
};
const v = compileValidator(schema);
const ok = { tx: 't1', card: 'c1', at: '2026-01-01T10:00:00Z', amount: 12.345, approved: true };
const code = (r: ValidationResult) => (r.ok ? 'ok' : r.rejection.code);
const message = (r: ValidationResult) => (r.ok ? '' : r.rejection.message);

describe('a validator compiled from a schema', () => {
  it('accepts a valid event: decimals scaled to integers, timestamps to epoch ms, absent optional fields null', () => {
    expect(v.validateEvent(ok, T)).toEqual({ ok: true, event: { tx: 't1', card: 'c1', at: T, amount: 12_345, approved: true, attempts: null, reason: null, paid_at: null } });
    expect(v.validateEvent({ ...ok, paid_at: T - 5, attempts: 3 }, T)).toMatchObject({ ok: true, event: { paid_at: T - 5, attempts: 3 } });
  });

  it.each([
    ['a missing required field', { ...ok, card: undefined }, 'missing_field', /card is required/],
    ['a field required when another has a value', { ...ok, approved: false }, 'missing_field', /reason is required for approved false/],
    ['a string over its length', { ...ok, tx: 't'.repeat(9) }, 'wrong_type', /tx must be a non-empty string of at most 8/],
    ['a decimal with too many decimals', { ...ok, amount: 1.0001 }, 'wrong_type', /amount must have at most three decimals/],
    ['a decimal out of range', { ...ok, amount: 1_000.5 }, 'wrong_type', /amount must be at most 1000/],
    ['a boolean as a string', { ...ok, approved: 'yes' }, 'wrong_type', /approved must be true or false/],
    ['an integer out of range', { ...ok, attempts: 10 }, 'wrong_type', /attempts must be an integer from 1 to 9/],
    ['a timestamp without a zone, not the event time', { ...ok, paid_at: '2026-01-01T10:00:00' }, 'wrong_type', /paid_at must be ISO-8601 with a zone/],
    ['an event time without a zone', { ...ok, at: '2026-01-01T10:00:00' }, 'bad_event_time', /at must be ISO-8601 with a zone/],
    ['an event time far ahead of its record', { ...ok, at: T + 25 * 3_600_000 }, 'event_time_out_of_range', /far future/],
  ])('rejects %s with one reason', (_name, value, expected, text) => {
    const r = v.validateEvent(value, T);
    expect(code(r)).toBe(expected);
    expect(message(r)).toMatch(text);
  });

  it('keeps the record-level checks: malformed JSON, oversized, invalid UTF-8', () => {
    expect(code(v.validateRecord('{"tx":', T))).toBe('malformed_json');
    expect(code(compileValidator(schema, { maxRecordBytes: 10, minEventTime: 0, maxFutureSkewMs: 1 }).validateRecord(JSON.stringify(ok), T))).toBe('oversized');
    expect(code(v.validateRecord('{"tx":"\uD800"}', T))).toBe('invalid_utf8');
  });
});

describe('checkSchema', () => {
  const bad = (patch: Partial<EventSchema>) => () => checkSchema({ ...schema, ...patch });
  it.each([
    ['an id that is not a field', { id: 'nope' }, /schema.id: nope is not a field/],
    ['a time that is not a timestamp', { time: 'card' }, /schema.time: card must be a timestamp field/],
    ['an optional id', { id: 'reason' }, /schema.id: reason must be required/],
    ['a numeric log key', { fields: { ...schema.fields, n: field.integer() }, logKey: 'n' }, /schema.logKey: n must be a string or enum field/],
    ['a reserved field name', { fields: { ...schema.fields, raw: field.string() } }, /schema field raw: the name is reserved/],
    ['a field name that is not snake_case', { fields: { ...schema.fields, 'Bad-Name': field.string() } }, /snake_case/],
    ['requiredWhen naming a later field', { fields: { early: field.string({ presence: { requiredWhen: { field: 'tx', in: ['x'] } } }), ...schema.fields } }, /must be declared before early/],
    ['a scale of 7', { fields: { ...schema.fields, d: field.decimal(7) } }, /scale must be a whole number from 0 to 6/],
  ])('refuses %s', (_name, patch, message) => {
    expect(bad(patch as Partial<EventSchema>)).toThrow(ConfigError);
    expect(bad(patch as Partial<EventSchema>)).toThrow(message);
  });
});

describe('generated code takes no user text as code', () => {
  it('refuses limits and bounds that are not numbers before generating anything', () => {
    const limits = { maxRecordBytes: 1_000, minEventTime: '0); throw new Error("injected"); (' as unknown as number, maxFutureSkewMs: 1 };
    expect(() => compileValidator(schema, limits)).toThrow(/limits.minEventTime must be a finite number/);
    const bound = { ...schema, fields: { ...schema.fields, n: { type: 'integer', max: '1) || process.exit(' as unknown as number } } } as EventSchema;
    expect(() => compileValidator(bound)).toThrow(/schema field n: max must be a safe integer/);
  });

  it('keeps field names with quotes out of the code (a field name must be snake_case first)', () => {
    const odd = { ...schema, fields: { ...schema.fields, 'a"];process.exit(1);//': field.string() } } as EventSchema;
    expect(() => compileValidator(odd)).toThrow(ConfigError);
  });
});
