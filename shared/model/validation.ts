import { ConfigError } from '../errors.ts';
import type { Event } from './event.ts';
import { checkSchema, type EventSchema } from './event-schema.ts';
import type { FieldSpec } from './field-spec.ts';
import { IDENTIFIER_MAX } from './identifier.ts';
import { isIsoWithZone, parseIsoTime } from './iso-time.ts';
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

/**
 * The validator of one schema. `recordTime` is when the record was appended to the log: judging
 * "far future" against it (not the wall clock) keeps the verdict the same in every layer and on
 * every replay.
 */
export interface EventValidator {
  /** Parses and validates one raw record: the record-level checks, then the schema's. */
  validateRecord(raw: string, recordTime: number): ValidationResult;
  /** Validates an already-parsed value; one clear reason per bad record. */
  validateEvent(value: unknown, recordTime: number): ValidationResult;
}

function reject(code: RejectionCode, message: string): ValidationResult {
  return { ok: false, rejection: { code, message } };
}

/** A value for a message: JSON, cut short. */
function shown(v: unknown): string {
  return String(JSON.stringify(v)).slice(0, 40);
}

/**
 * Compiles a schema (checked by `checkSchema`) into its validator. The field checks are generated
 * as one straight-line function, field by field in the schema's order, as the hand-written
 * validator was: a loop over names reads `o[name]` through a keyed, polymorphic lookup, and a
 * fixed object literal gives every event one hidden class. Field names enter the code only through
 * JSON.stringify, and every other value (limits, enum values, messages) as a bound constant.
 */
export function compileValidator(schema: EventSchema, limits: ValidationLimits = DEFAULT_LIMITS): EventValidator {
  // Checked here too: the limits' numbers enter the generated code, so they must be numbers.
  checkSchema(schema);
  for (const [name, v] of Object.entries(limits)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`limits.${name} must be a finite number of ms or bytes, got ${String(v)}`);
  }
  const consts: unknown[] = [];
  const c = (v: unknown) => `K[${consts.push(v) - 1}]`;
  const names = Object.keys(schema.fields);
  const body: string[] = [];
  names.forEach((name, i) => body.push(fieldCheck(name, i, schema.fields[name], schema, names, c)));
  const literal = names.map((n, i) => `${JSON.stringify(n)}: v${i}`).join(', ');
  const source = `return function validateEvent(o, recordTime) {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return R('not_an_object', 'record must be a JSON object');
  ${body.join('\n  ')}
  return { ok: true, event: { ${literal} } };
}`;
  const validateEvent = new Function('R', 'H', 'K', source)(reject, HELPERS, consts) as EventValidator['validateEvent'];
  return {
    validateEvent,
    validateRecord(raw, recordTime) {
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
      return validateEvent(parsed, recordTime);
    },
  };

  function fieldCheck(name: string, i: number, f: FieldSpec, s: EventSchema, all: readonly string[], k: (v: unknown) => string): string {
    const v = `v${i}`;
    const msg = (text: string) => k(`${name} ${text}`);
    const R = (code: RejectionCode, text: string) => `return R(${JSON.stringify(code)}, ${msg(text)});`;
    const presence = f.presence ?? 'required';
    let absent: string;
    if (presence === 'required') absent = R('missing_field', 'is required');
    else if (presence === 'optional') absent = `${v} = null;`;
    else {
      const { field: other, in: values } = presence.requiredWhen;
      const j = all.indexOf(other);
      const otherEnum = s.fields[other].type === 'enum';
      absent = `if (${k(new Set(values))}.has(v${j})) return R('missing_field', ${msg('is required for ')} + ${otherEnum ? '' : `${k(`${other} `)} + `}String(v${j})); ${v} = null;`;
    }
    return `let ${v} = o[${JSON.stringify(name)}];
  if (${v} === undefined || ${v} === null) { ${absent} } else {
    ${presentCheck(v, name, f, s, k, R)}
  }`;
  }

  function presentCheck(v: string, name: string, f: FieldSpec, s: EventSchema, k: (v: unknown) => string, R: (code: RejectionCode, text: string) => string): string {
    const code = (fallback: RejectionCode) => f.invalidCode ?? fallback;
    const got = (text: string) => `return R(${JSON.stringify(code('wrong_type'))}, ${k(`${name} ${text}; got `)} + H.shown(${v}));`;
    switch (f.type) {
      case 'string': {
        const min = f.minLength ?? 0;
        const max = f.maxLength ?? IDENTIFIER_MAX;
        const what = min === 1 ? `a non-empty string of at most ${max} characters` : min === 0 ? `a string of at most ${max} characters` : `a string of ${min} to ${max} characters`;
        // PostgreSQL text cannot hold NUL; a lone surrogate has no UTF-8 form for the master dataset.
        return `if (typeof ${v} !== 'string' || ${v}.length < ${min} || ${v}.length > ${max}) ${R(code('wrong_type'), `must be ${what}`)}
    if (${v}.includes('\\u0000')) ${R(code('wrong_type'), 'must not contain the NUL character')}
    if (!${v}.isWellFormed()) ${R(code('wrong_type'), 'must be well-formed Unicode (no lone surrogate)')}`;
      }
      case 'enum':
        // Text no value could be (no UTF-8 form) is a wrong type, as for any text field, not an unknown value.
        return `if (typeof ${v} !== 'string') ${R('wrong_type', `must be a string, one of ${f.values.join(', ')}`)}
    if (!${k(new Set(f.values))}.has(${v})) { if (!${v}.isWellFormed()) ${R('wrong_type', 'must be well-formed Unicode (no lone surrogate)')} ${got(`must be one of ${f.values.join(', ')}`)} }`;
      case 'boolean':
        return `if (typeof ${v} !== 'boolean') ${got('must be true or false')}`;
      case 'integer': {
        const min = f.min ?? Number.MIN_SAFE_INTEGER;
        const max = f.max ?? Number.MAX_SAFE_INTEGER;
        return `if (typeof ${v} !== 'number' || !Number.isInteger(${v}) || ${v} < ${min} || ${v} > ${max}) ${got(`must be an integer from ${min} to ${max}`)}`;
      }
      case 'decimal': {
        const factor = 10 ** f.scale;
        const min = f.min ?? -MAX_UNITS(f.scale);
        const max = f.max ?? MAX_UNITS(f.scale);
        const bad = JSON.stringify(code('wrong_type'));
        return `if (typeof ${v} !== 'number' || !Number.isFinite(${v})) ${R(code('wrong_type'), 'must be a finite number')}
    if (${v} < ${min}) return R(${bad}, ${k(`${name} must be >= ${H.num(min)}; got `)} + ${v});
    if (${v} > ${max}) return R(${bad}, ${k(`${name} must be at most ${H.num(max)}; got `)} + ${v});
    { const scaled = ${v} * ${factor}; const n = Math.round(scaled);
      // At most \`scale\` decimals, so every layer sums exact integers. A value with that many decimals is off
      // by at most ~1 ulp after parsing and scaling; one more decimal is off by >= 0.1 unit: the tolerance
      // stays below that at every magnitude up to the bounds, hence relative to ulps.
      if (Math.abs(n - scaled) > ${8 * Number.EPSILON} * Math.max(1, Math.abs(scaled))) return R(${bad}, ${k(`${name} must have at most ${H.decimals(f.scale)}; got `)} + ${v});
      ${v} = n; }`;
      }
      case 'timestamp': {
        const isTime = name === s.time;
        const bad = JSON.stringify(code(isTime ? 'bad_event_time' : 'wrong_type'));
        const range = isTime
          ? `if (t < ${k(limits.minEventTime)}) return R('event_time_out_of_range', ${k(`${name} `)} + t + ${k(` is before ${new Date(limits.minEventTime).toISOString()}`)});
    if (t > recordTime + ${k(limits.maxFutureSkewMs)}) return R('event_time_out_of_range', ${k(`${name} is more than ${limits.maxFutureSkewMs} ms after the record was appended (far future)`)});`
          : '';
        return `let t;
    if (typeof ${v} === 'number') {
      if (!Number.isInteger(${v})) return R(${bad}, ${k(`${name} as a number must be integer epoch milliseconds`)});
      t = ${v};
    } else if (typeof ${v} === 'string') {
      t = H.parseIsoTime(${v});
      if (Number.isNaN(t)) {
        if (!H.isIsoWithZone(${v})) return R(${bad}, ${k(`${name} must be ISO-8601 with a zone (e.g. 2026-01-01T10:00:00Z) or epoch ms; got `)} + H.shown(${v}));
        return R(${bad}, ${k(`${name} is not a real date: `)} + ${v});
      }
    } else return R(${JSON.stringify(code('wrong_type'))}, ${k(`${name} must be an ISO-8601 string or epoch milliseconds`)});
    ${range}
    ${v} = t;`;
      }
    }
  }
}

/** Bounds of a decimal without declared limits: scaled values stay exact integers. */
function MAX_UNITS(scale: number): number {
  return 1e12 / 10 ** scale;
}

const WORDS = ['no decimals', 'one decimal', 'two decimals', 'three decimals', 'four decimals', 'five decimals', 'six decimals'];

const HELPERS = {
  shown,
  parseIsoTime,
  isIsoWithZone,
  decimals: (scale: number) => WORDS[scale],
  /** Powers of ten from a million on as 1eN, as people write limits. */
  num: (x: number) => {
    const e = x.toExponential();
    return Math.abs(x) >= 1e6 && /^-?1e\+\d+$/.test(e) ? e.replace('+', '') : String(x);
  },
};
const H = HELPERS;

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
