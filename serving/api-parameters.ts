import { BadRequestError } from '../shared/errors.ts';
import { SERVING_MODES } from './serving-mode.ts';

/**
 * The query parameters of the API as data: one JSON Schema per parameter. The same table checks
 * every request (`checkQueryString`: names, given once, enum, pattern) and is what /openapi.json
 * publishes (openapi.ts), so the document cannot drift from what is accepted. What a schema
 * cannot say (a calendar date, an id's Unicode rules, a cursor's content) is checked after, by
 * the request's parser.
 */
export interface ParameterSchema {
  readonly type: 'string';
  readonly description: string;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly default?: string;
  /** The request is refused without it (the parser says so; /openapi.json marks it). */
  readonly required?: boolean;
  /** Shown when the pattern fails: what a valid value looks like. */
  readonly expected?: string;
}

export type ParameterTable = Readonly<Record<string, ParameterSchema>>;

const TIME: Omit<ParameterSchema, 'description'> = {
  type: 'string',
  pattern: '^(now|\\d{1,15}|\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2}))$',
  expected: 'ISO-8601 with a zone (2026-01-01T10:00:00Z), epoch milliseconds or now',
};
const WHOLE = (min: string) => ({ type: 'string', pattern: '^\\d{1,9}$', expected: `a whole number of at least ${min}` }) as const;

/** `GET /v1/views/{view}`. */
export const WINDOW_PARAMETERS: ParameterTable = {
  key: { type: 'string', description: 'one key of a keyed view (an event id: 1-256 characters, no NUL); omit it for all keys' },
  from: { ...TIME, description: 'windows ending after this (default: one hour before to)' },
  to: { ...TIME, description: 'windows starting before this', default: 'now' },
  mode: { type: 'string', enum: SERVING_MODES, default: 'lambda', description: 'lambda (batch below the horizon + speed), kappa (the live Kappa version), batch or speed alone' },
  limit: { ...WHOLE('1'), description: 'most windows in one page (at most the service maximum, its default); the rest come with `next`' },
  cursor: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,2000}$', expected: 'the `next` value of a previous page', description: 'the `next` value of the previous page; it carries key, from, to and mode, which may then be omitted' },
};

/** `GET /v1/views/{view}/top`. */
export const TOP_PARAMETERS: ParameterTable = {
  by: { type: 'string', required: true, description: "the measure to rank keys by (one of the view's measures); required" },
  n: { ...WHOLE('1'), description: 'how many keys (default 10, at most 1000)', default: '10' },
  from: WINDOW_PARAMETERS.from,
  to: WINDOW_PARAMETERS.to,
  mode: WINDOW_PARAMETERS.mode,
};

/** `GET /v1/explain/{view}`. */
export const EXPLAIN_PARAMETERS: ParameterTable = {
  key: { type: 'string', description: 'the key of the window (required for a keyed view, refused for a global one)' },
  start: { ...TIME, required: true, description: "the window's start (a window start of the view: a multiple of its slide, or a session's start)" },
  mode: { ...WINDOW_PARAMETERS.mode, description: 'the mode whose answer to explain: lambda, kappa, batch or speed' },
};

/** `GET /v1/alerts`. */
export const ALERT_PARAMETERS: ParameterTable = {
  from: { ...TIME, description: 'alerts of windows ending after this (default: one hour before to)' },
  to: { ...TIME, description: 'alerts of windows starting before this', default: 'now' },
  mode: { ...WINDOW_PARAMETERS.mode, description: 'whose final windows: lambda (batch below the horizon + speed), kappa, batch or speed' },
  rule: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,127}$', expected: 'the name of one of the pipeline\'s alert rules', description: 'one alert rule (default: all)' },
};

/**
 * Checks a query string against a table: every parameter known, given once, matching its enum
 * and pattern. Throws BadRequestError naming the parameter, so a typo (`form=`) fails loudly
 * instead of silently using a default.
 */
export function checkQueryString(table: ParameterTable, query: Readonly<Record<string, unknown>>): Record<string, string | undefined> {
  const names = Object.keys(table);
  for (const [name, value] of Object.entries(query)) {
    const schema = table[name];
    if (schema === undefined || !Object.hasOwn(table, name)) throw new BadRequestError(name, `unknown parameter; the parameters are ${names.join(', ')}`);
    if (typeof value !== 'string') throw new BadRequestError(name, 'must be given once');
    if (schema.enum !== undefined && !schema.enum.includes(value)) {
      throw new BadRequestError(name, `must be one of ${schema.enum.join(', ')}; got ${JSON.stringify(value.slice(0, 40))}`);
    }
    if (schema.pattern !== undefined && !patternOf(schema.pattern).test(value)) {
      throw new BadRequestError(name, `must be ${schema.expected ?? `like ${schema.pattern}`}; got ${JSON.stringify(value.slice(0, 40))}`);
    }
  }
  return query as Record<string, string | undefined>;
}

const compiled = new Map<string, RegExp>();

/** A schema's pattern, compiled once. */
function patternOf(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = new RegExp(pattern)));
  return re;
}
