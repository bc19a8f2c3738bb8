import { BadRequestError } from '../shared/errors.ts';
import { identifierProblem } from '../shared/model/identifier.ts';
import type { WindowQuery } from './query-service.ts';
import { parseServingMode } from './serving-mode.ts';

/** Query parameters of `GET /v1/views/:view`. */
export const WINDOW_REQUEST_PARAMETERS = ['key', 'from', 'to', 'mode', 'limit'] as const;

/** Range when `from` is absent: this long before `to`. */
export const DEFAULT_RANGE_MS = 3_600_000;

const EPOCH_MS = /^\d{1,15}$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Turns the query string of a view request into a WindowQuery, or throws BadRequestError naming
 * the parameter. Defaults: mode=lambda, to=now, from=to minus one hour, limit=the service's
 * maximum. Times are ISO-8601 with a zone, epoch milliseconds, or `now`; a time without a zone is
 * refused rather than guessed. Unknown or repeated parameters are refused, so a typo (`form=`)
 * fails loudly instead of silently using a default.
 */
export function parseWindowRequest(view: string, query: Readonly<Record<string, unknown>>, now: number): WindowQuery {
  for (const [name, value] of Object.entries(query)) {
    if (!(WINDOW_REQUEST_PARAMETERS as readonly string[]).includes(name)) {
      throw new BadRequestError(name, `unknown parameter; the parameters are ${WINDOW_REQUEST_PARAMETERS.join(', ')}`);
    }
    if (typeof value !== 'string') throw new BadRequestError(name, 'must be given once');
  }
  const text = query as Readonly<Record<string, string | undefined>>;
  const to = text.to === undefined ? now : parseTime('to', text.to, now);
  const from = text.from === undefined ? to - DEFAULT_RANGE_MS : parseTime('from', text.from, now);
  const key = text.key;
  const keyProblem = key === undefined ? undefined : identifierProblem(key);
  if (keyProblem !== undefined) throw new BadRequestError('key', `${keyProblem}, as event keys are; omit it for all keys`);
  let limit: number | undefined;
  if (text.limit !== undefined) {
    limit = /^\d{1,9}$/.test(text.limit) ? Number(text.limit) : Number.NaN;
    if (!(limit >= 1)) throw new BadRequestError('limit', `must be a whole number of at least 1; got ${JSON.stringify(text.limit.slice(0, 40))}`);
  }
  return { view, key, from, to, mode: text.mode === undefined ? 'lambda' : parseServingMode(text.mode), limit };
}

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
