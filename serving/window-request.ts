import { BadRequestError } from '../shared/errors.ts';
import { identifierProblem } from '../shared/model/identifier.ts';
import { ALERT_PARAMETERS, checkQueryString, EXPLAIN_PARAMETERS, TOP_PARAMETERS, WINDOW_PARAMETERS } from './api-parameters.ts';
import { parseCursor } from './page-cursor.ts';
import type { AlertQuery, TopQuery, WindowQuery } from './query-service.ts';
import type { ServingMode } from './serving-mode.ts';
import type { ExplainQuery } from './window-explainer.ts';


/** Range when `from` is absent: this long before `to`. */
export const DEFAULT_RANGE_MS = 3_600_000;

/** Keys a top query returns by default, and at most. */
export const DEFAULT_TOP_N = 10;
export const MAX_TOP_N = 1_000;

/**
 * Turns the query string of a view request into a WindowQuery, or throws BadRequestError naming
 * the parameter. Defaults: mode=lambda, to=now, from=to minus one hour, limit=the service's
 * maximum. Times are ISO-8601 with a zone, epoch milliseconds, or `now`; a time without a zone is
 * refused rather than guessed. Unknown or repeated parameters are refused (api-parameters.ts).
 * With `cursor`, the page continues the query the cursor carries: key, from, to and mode may be
 * omitted, and when given must be the cursor's (`to=now` would move between pages).
 */
export function parseWindowRequest(view: string, query: Readonly<Record<string, unknown>>, now: number): WindowQuery {
  const text = checkQueryString(WINDOW_PARAMETERS, query);
  let limit: number | undefined;
  if (text.limit !== undefined) {
    limit = Number(text.limit);
    if (!(limit >= 1)) throw new BadRequestError('limit', `must be a whole number of at least 1; got ${JSON.stringify(text.limit.slice(0, 40))}`);
  }
  const key = text.key;
  const keyProblem = key === undefined ? undefined : identifierProblem(key);
  if (keyProblem !== undefined) throw new BadRequestError('key', `${keyProblem}, as event keys are; omit it for all keys`);
  if (text.cursor !== undefined) {
    const c = parseCursor(text.cursor);
    if (c.view !== view) throw new BadRequestError('cursor', `is a cursor of view ${c.view}, not ${view}`);
    const given: [string, unknown, unknown][] = [
      ['key', key, c.key ?? undefined],
      ['from', text.from === undefined ? undefined : parseTime('from', text.from, now), c.from],
      ['to', text.to === undefined ? undefined : parseTime('to', text.to, now), c.to],
      ['mode', text.mode, c.mode],
    ];
    for (const [name, value, carried] of given) {
      if (value !== undefined && value !== carried) throw new BadRequestError(name, 'differs from the query the cursor continues; omit it with cursor');
    }
    return { view, key: c.key ?? undefined, from: c.from, to: c.to, mode: c.mode, limit, after: c.after, pinned: { batchRun: c.batchRun, kappaVersion: c.kappaVersion } };
  }
  const to = text.to === undefined ? now : parseTime('to', text.to, now);
  const from = text.from === undefined ? to - DEFAULT_RANGE_MS : parseTime('from', text.from, now);
  return { view, key, from, to, mode: (text.mode ?? 'lambda') as ServingMode, limit };
}

/** Turns the query string of a top request into a TopQuery (defaults as parseWindowRequest's, n=10). */
export function parseTopRequest(view: string, query: Readonly<Record<string, unknown>>, now: number): TopQuery {
  const text = checkQueryString(TOP_PARAMETERS, query);
  if (text.by === undefined) throw new BadRequestError('by', "is required: the measure to rank keys by (see GET /v1/views for each view's measures)");
  const n = text.n === undefined ? DEFAULT_TOP_N : Number(text.n);
  if (!(n >= 1 && n <= MAX_TOP_N)) throw new BadRequestError('n', `must be a whole number from 1 to ${MAX_TOP_N}; got ${JSON.stringify(text.n)}`);
  const to = text.to === undefined ? now : parseTime('to', text.to, now);
  const from = text.from === undefined ? to - DEFAULT_RANGE_MS : parseTime('from', text.from, now);
  return { view, by: text.by, n, from, to, mode: (text.mode ?? 'lambda') as ServingMode };
}

/** Turns the query string of an alerts request into an AlertQuery (mode=lambda, to=now, from=an hour before to by default). */
export function parseAlertRequest(query: Readonly<Record<string, unknown>>, now: number): AlertQuery {
  const text = checkQueryString(ALERT_PARAMETERS, query);
  const to = text.to === undefined ? now : parseTime('to', text.to, now);
  const from = text.from === undefined ? to - DEFAULT_RANGE_MS : parseTime('from', text.from, now);
  return { from, to, mode: (text.mode ?? 'lambda') as ServingMode, rule: text.rule };
}

/** Turns the query string of an explain request into an ExplainQuery (mode=lambda by default; start required). */
export function parseExplainRequest(view: string, query: Readonly<Record<string, unknown>>, now: number): ExplainQuery {
  const text = checkQueryString(EXPLAIN_PARAMETERS, query);
  if (text.start === undefined) throw new BadRequestError('start', "is required: the window's start (ISO-8601 with a zone, or epoch milliseconds)");
  const key = text.key;
  const keyProblem = key === undefined ? undefined : identifierProblem(key);
  if (keyProblem !== undefined) throw new BadRequestError('key', `${keyProblem}, as event keys are`);
  return { view, key, start: parseTime('start', text.start, now), mode: (text.mode ?? 'lambda') as ServingMode };
}

const EPOCH_MS = /^\d{1,15}$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A time parameter: epoch ms, ISO-8601 with a zone, or `now`. */
export function parseTime(parameter: string, value: string, now: number): number {
  if (value === 'now') return now;
  if (EPOCH_MS.test(value)) return Number(value);
  const t = ISO_WITH_ZONE.test(value) && isCalendarDate(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new BadRequestError(parameter, `must be ISO-8601 with a zone (2026-01-01T10:00:00Z), epoch milliseconds or now; got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return t;
}

/** Date.parse rolls 2026-02-30 over to March and accepts hour 24; a typo'd date must not move the query. */
function isCalendarDate(value: string): boolean {
  const [y, mo, d, h, mi] = [0, 5, 8, 11, 14].map((at, i) => Number(value.slice(at, at + (i === 0 ? 4 : 2))));
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h < 24 && mi < 60;
}
